# Stage 1 of Meta-Baseline: a classifier on all base classes
# (Classifier-Baseline); its last checkpoint initialises the
# backbone of the meta stage.
_base_ = [
    '../../_base_/datasets/tiered_imagenet_plain-train.py',
    '../../_base_/schedules/sgd_100epoch.py'
]

train_dataloader = dict(batch_size=128)

model = dict(
    type='Baseline',
    backbone=dict(type='Conv4'),
    head=dict(
        type='LinearHead',
        num_classes=_base_.num_base_classes,
        in_channels=1600),
    meta_test_head=dict(type='LinearHead', num_classes=5, in_channels=1600))
