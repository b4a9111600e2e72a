_base_ = ['./matching-net_conv4_1xb105_tiered-imagenet_5way-1shot.py']

model = dict(backbone=dict(type='ResNet12'))
