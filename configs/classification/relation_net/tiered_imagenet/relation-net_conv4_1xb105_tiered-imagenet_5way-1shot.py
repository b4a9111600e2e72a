_base_ = [
    '../../_base_/datasets/tiered_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py'
]

# the relation module compares 64 x 19 x 19 feature maps
model = dict(
    type='RelationNet',
    backbone=dict(type='Conv4NoPool'),
    head=dict(type='RelationHead', in_channels=64, feature_size=(19, 19)))

# Meta test task by task, as the original's, with the support images through
# the model in training mode (BatchNorm on the support batch's statistics)
# and the query images in evaluation mode; cached feature maps of the whole
# val and test splits (124k and 206k images) would take 11 and 19 GB for
# Conv4 maps.
val_cfg = dict(meta_test_cfg=dict(fast_test=False, support_train_mode=True))
test_cfg = dict(meta_test_cfg=dict(fast_test=False, support_train_mode=True))
