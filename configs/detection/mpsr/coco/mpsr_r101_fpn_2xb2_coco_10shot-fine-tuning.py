# MPSR 10-shot fine-tuning on COCO: the base model (the last checkpoint of
# the base training) with a new classifier for the 80 classes (fc_cls
# re-initialised, std 0.001; the class-agnostic regressor is kept), 10
# instances of each class in both branches, the whole network trains (only
# stage 1 of the backbone stays frozen). 4000 iterations, lr 0.005, 500
# warm-up iterations from lr / 3, steps at 2800 and 3500.
_base_ = [
    '../../_base_/datasets/two_branch/few_shot_coco.py',
    '../../_base_/schedules/schedule.py', '../mpsr_r101_fpn.py',
    '../../_base_/default_runtime.py'
]
shots = dict(
    ann_cfg=[dict(method='MPSR', setting='10SHOT')],
    num_novel_shots=10,
    num_base_shots=10)
train_dataloader = dict(
    dataset=dict(main_dataset=shots, auxiliary_dataset=shots))
model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict(
        bbox_head=dict(
            num_classes=80,
            init_cfg=[
                dict(
                    type='Normal',
                    override=dict(type='Normal', name='fc_cls', std=0.001))
            ])))
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1. / 3, by_epoch=False, begin=0,
        end=500),
    dict(type='MultiStepLR', by_epoch=False, milestones=[2800, 3500])
]
train_cfg = dict(max_iters=4000, val_interval=4000)
# the learning rates are those of 2 processes x 2 images
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(interval=4000))
load_from = 'work_dirs/mpsr_r101_fpn_2xb2_coco_base-training/iter_80000.pth'
# the base model classifies 60 classes + background: fc_cls starts anew
reinit_on_load = ['roi_head.bbox_head.fc_cls']
