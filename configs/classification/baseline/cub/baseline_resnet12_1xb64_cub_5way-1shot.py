_base_ = ['./baseline_conv4_1xb64_cub_5way-1shot.py']

model = dict(
    backbone=dict(type='ResNet12'),
    head=dict(in_channels=640),
    meta_test_head=dict(in_channels=640))
