_base_ = ['./relation-net_conv4_1xb105_cub_5way-1shot.py']

# ResNet12 keeps its 640 x 5 x 5 map; on maps under 10 x 10 the relation
# module pads its convolutions, so it can pool twice
model = dict(
    backbone=dict(type='ResNet12', with_avgpool=False, flatten=False),
    head=dict(in_channels=640, feature_size=(5, 5)))
