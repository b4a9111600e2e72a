# MPSR 1-shot fine-tuning on VOC split 1: the base model (the last
# checkpoint of the base training) with a new classifier for the 20 classes
# (fc_cls re-initialised, std 0.001; the class-agnostic regressor is kept),
# one instance of each class in both branches, the whole network trains
# (only stage 1 of the backbone stays frozen); RoIAlign without the
# half-pixel alignment (`aligned=False`), as the original's VOC
# fine-tunings. 2000 iterations, lr 0.005 with bias lr x2 and no bias decay,
# 500 warm-up iterations from lr / 3, a step at 1300.
_base_ = [
    '../../../_base_/datasets/two_branch/few_shot_voc.py',
    '../../../_base_/schedules/schedule.py', '../../mpsr_r101_fpn.py',
    '../../../_base_/default_runtime.py'
]
classes = 'ALL_CLASSES_SPLIT1'
train_dataloader = dict(
    dataset=dict(
        main_dataset=dict(
            ann_cfg=[dict(method='MPSR', setting='SPLIT1_1SHOT')],
            num_novel_shots=1,
            num_base_shots=1,
            classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'])
test_evaluator = val_evaluator
model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict(
        bbox_roi_extractor=dict(roi_layer=dict(aligned=False)),
        bbox_head=dict(init_cfg=[
            dict(
                type='Normal',
                override=dict(type='Normal', name='fc_cls', std=0.001))
        ])))
optim_wrapper = dict(
    optimizer=dict(lr=0.005),
    paramwise_cfg=dict(
        custom_keys={'.bias': dict(lr_mult=2.0, decay_mult=0.0)}))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1. / 3, by_epoch=False, begin=0,
        end=500),
    dict(type='MultiStepLR', by_epoch=False, milestones=[1300])
]
train_cfg = dict(max_iters=2000, val_interval=500)
# the learning rates are those of 2 processes x 2 images
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(interval=2000))
load_from = ('work_dirs/mpsr_r101_fpn_2xb2_voc-split1_base-training/'
             'iter_36000.pth')
# the base model classifies 15 classes + background: fc_cls starts anew
reinit_on_load = ['roi_head.bbox_head.fc_cls']
