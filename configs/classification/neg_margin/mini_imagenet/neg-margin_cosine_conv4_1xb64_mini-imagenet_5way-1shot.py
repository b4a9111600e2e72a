_base_ = [
    '../../_base_/datasets/mini_imagenet_plain-train.py',
    '../../_base_/schedules/sgd_200epoch.py'
]

# The base-class head has 100 outputs for the 64 base classes, as the
# original's (its model-zoo numbers and checkpoints come from it): the 36
# outputs no image belongs to take part in every softmax, which changes
# training. num_classes=_base_.num_base_classes gives one output per class.
model = dict(
    type='NegMargin',
    backbone=dict(type='Conv4'),
    head=dict(
        type='NegMarginHead',
        num_classes=100,
        in_channels=1600,
        metric_type='cosine',
        margin=-0.005,
        temperature=10.0),
    meta_test_head=dict(
        type='NegMarginHead',
        num_classes=5,
        in_channels=1600,
        metric_type='cosine',
        margin=0.0,
        temperature=5.0))

# the original's support loader keeps the last, smaller batch of every pass
val_cfg = dict(meta_test_cfg=dict(support=dict(train=dict(drop_last=False))))
test_cfg = dict(meta_test_cfg=dict(support=dict(train=dict(drop_last=False))))
