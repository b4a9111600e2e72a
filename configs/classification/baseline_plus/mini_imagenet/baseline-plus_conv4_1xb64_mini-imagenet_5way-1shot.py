_base_ = [
    '../../_base_/datasets/mini_imagenet_plain-train.py',
    '../../_base_/schedules/sgd_200epoch.py'
]

# The base-class head has 100 outputs for the 64 base classes, as the
# original's (its model-zoo numbers and checkpoints come from it): the 36
# outputs no image belongs to take part in every softmax, which changes
# training. num_classes=_base_.num_base_classes gives one output per class.
# Conv4: the temperatures of the original, 2 for the base-class head and
# for the 5-way meta-test heads
model = dict(
    type='BaselinePlus',
    backbone=dict(type='Conv4'),
    head=dict(
        type='CosineDistanceHead',
        num_classes=100,
        in_channels=1600,
        temperature=2.0),
    meta_test_head=dict(
        type='CosineDistanceHead',
        num_classes=5,
        in_channels=1600,
        temperature=2.0))
