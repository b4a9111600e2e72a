_base_ = ['./baseline-plus_conv4_1xb64_tiered-imagenet_5way-1shot.py']

model = dict(
    backbone=dict(type='ResNet12'),
    head=dict(in_channels=640, temperature=10.0),
    meta_test_head=dict(in_channels=640, temperature=5.0))
