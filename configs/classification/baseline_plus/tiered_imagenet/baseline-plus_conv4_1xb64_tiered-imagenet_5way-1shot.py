_base_ = [
    '../../_base_/datasets/tiered_imagenet_plain-train.py',
    '../../_base_/schedules/sgd_100epoch.py'
]

# Conv4: the temperatures of the original, 10 for the head of 351 base
# classes and 2 for the 5-way meta-test heads
model = dict(
    type='BaselinePlus',
    backbone=dict(type='Conv4'),
    head=dict(
        type='CosineDistanceHead',
        num_classes=_base_.num_base_classes,
        in_channels=1600,
        temperature=10.0),
    meta_test_head=dict(
        type='CosineDistanceHead',
        num_classes=5,
        in_channels=1600,
        temperature=2.0))
