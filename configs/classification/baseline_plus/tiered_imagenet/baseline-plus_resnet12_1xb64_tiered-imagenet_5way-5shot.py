_base_ = ['./baseline-plus_conv4_1xb64_tiered-imagenet_5way-5shot.py']

# the ResNet12 heads of the 1-shot config, with the 5-shot training
model = dict(
    backbone=dict(type='ResNet12'),
    head=dict(in_channels=640, temperature=10.0),
    meta_test_head=dict(in_channels=640, temperature=5.0))
