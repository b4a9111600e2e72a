# MPSR base training on VOC split 1: the 15 base classes, 36k iterations of
# 2 processes x (2 images + 2 auxiliary objects), lr 0.005 with bias lr x2
# and no bias decay (steps at 24k and 32k, 500 warm-up iterations from
# lr / 3). Fine-tuning loads its last checkpoint (configs/detection/mpsr
# README).
_base_ = [
    '../../../_base_/datasets/two_branch/base_voc.py',
    '../../../_base_/schedules/schedule.py', '../../mpsr_r101_fpn.py',
    '../../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES_SPLIT1'
train_dataloader = dict(dataset=dict(main_dataset=dict(classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
model = dict(roi_head=dict(bbox_head=dict(num_classes=15)))
optim_wrapper = dict(
    optimizer=dict(lr=0.005),
    paramwise_cfg=dict(
        custom_keys={'.bias': dict(lr_mult=2.0, decay_mult=0.0)}))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1. / 3, by_epoch=False, begin=0,
        end=500),
    dict(type='MultiStepLR', by_epoch=False, milestones=[24000, 32000])
]
train_cfg = dict(max_iters=36000, val_interval=9000)
# the learning rates are those of 2 processes x 2 images
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(interval=3000))
