_base_ = ['./relation-net_conv4_1xb105_mini-imagenet_5way-1shot.py']

# ResNet12 keeps its 640 x 5 x 5 map; padded convolutions let the
# relation module pool it twice
model = dict(
    backbone=dict(type='ResNet12', with_avgpool=False, flatten=False),
    head=dict(in_channels=640, feature_size=(5, 5), padding=1))
