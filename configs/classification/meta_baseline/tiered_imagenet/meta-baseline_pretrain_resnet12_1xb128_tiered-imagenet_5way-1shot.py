_base_ = [
    './meta-baseline_pretrain_conv4_1xb128_tiered-imagenet_5way-1shot.py'
]

model = dict(
    backbone=dict(type='ResNet12'),
    head=dict(in_channels=640),
    meta_test_head=dict(in_channels=640))
