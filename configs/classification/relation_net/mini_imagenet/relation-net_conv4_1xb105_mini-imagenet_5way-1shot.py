_base_ = [
    '../../_base_/datasets/mini_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py'
]

# the relation module compares 64 x 19 x 19 feature maps
model = dict(
    type='RelationNet',
    backbone=dict(type='Conv4NoPool'),
    head=dict(type='RelationHead', in_channels=64, feature_size=(19, 19)))

# the relation module scores every (query, class) pair; answering 10 tasks
# at a time (about 2 GB for Conv4 maps) bounds the memory of the meta test
test_cfg = dict(meta_test_cfg=dict(tasks_per_batch=10))

# validation as the original's: task by task, the support images through the
# model in training mode (BatchNorm on the support batch's statistics), the
# query images in evaluation mode
val_cfg = dict(meta_test_cfg=dict(fast_test=False, support_train_mode=True))
