# MPSR base training on COCO: the 60 base classes, 80k iterations of 2
# processes x (2 images + 2 auxiliary objects), lr 0.005 (steps at 56k and
# 70k, 500 warm-up iterations from lr / 3). Fine-tuning loads its last
# checkpoint (configs/detection/mpsr README).
_base_ = [
    '../../_base_/datasets/two_branch/base_coco.py',
    '../../_base_/schedules/schedule.py', '../mpsr_r101_fpn.py',
    '../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES'
train_dataloader = dict(
    dataset=dict(
        main_dataset=dict(classes=classes),
        auxiliary_dataset=dict(classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
model = dict(roi_head=dict(bbox_head=dict(num_classes=60)))
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1. / 3, by_epoch=False, begin=0,
        end=500),
    dict(type='MultiStepLR', by_epoch=False, milestones=[56000, 70000])
]
train_cfg = dict(max_iters=80000, val_interval=20000)
# the learning rates are those of 2 processes x 2 images
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(interval=10000))
