_base_ = ['./maml_conv4_1xb105_mini-imagenet_5way-1shot.py']

model = dict(backbone=dict(type='ResNet12'), head=dict(in_channels=640))
