_base_ = ['./neg-margin_cosine_conv4_1xb64_tiered-imagenet_5way-1shot.py']

model = dict(
    backbone=dict(type='ResNet12'),
    head=dict(in_channels=640, margin=-0.01),
    meta_test_head=dict(in_channels=640))
