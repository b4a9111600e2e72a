_base_ = [
    '../../_base_/datasets/tiered_imagenet_plain-train.py',
    '../../_base_/schedules/sgd_100epoch.py'
]

model = dict(
    type='Baseline',
    backbone=dict(type='Conv4'),
    head=dict(
        type='LinearHead',
        num_classes=_base_.num_base_classes,
        in_channels=1600),
    meta_test_head=dict(type='LinearHead', num_classes=5, in_channels=1600))
