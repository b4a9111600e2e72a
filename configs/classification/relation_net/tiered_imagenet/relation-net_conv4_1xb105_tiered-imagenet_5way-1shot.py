_base_ = [
    '../../_base_/datasets/tiered_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py'
]

# the relation module compares 64 x 19 x 19 feature maps
model = dict(
    type='RelationNet',
    backbone=dict(type='Conv4NoPool'),
    head=dict(type='RelationHead', in_channels=64, feature_size=(19, 19)))
