_base_ = [
    '../../_base_/datasets/mini_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py'
]

model = dict(
    type='MatchingNet',
    backbone=dict(type='Conv4'),
    head=dict(type='MatchingHead', temperature=100.0))

# validation as the original's: task by task, the support images through the
# model in training mode (BatchNorm on the support batch's statistics), the
# query images in evaluation mode
val_cfg = dict(meta_test_cfg=dict(fast_test=False, support_train_mode=True))
