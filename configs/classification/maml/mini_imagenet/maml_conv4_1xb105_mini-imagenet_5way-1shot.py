_base_ = [
    '../../_base_/datasets/mini_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py'
]

# one 5-way 5-shot episode with 16 queries per class an iteration (for the
# 1-shot and 5-shot configs alike); the gradients of 8 episodes make one
# update, so 100k iterations are 12.5k updates
optim_wrapper = dict(accumulative_counts=8)

# second-order MAML, 2 inner steps in training and 5 at meta test; BatchNorm
# normalises every batch with its own statistics
model = dict(
    type='MAML',
    backbone=dict(type='Conv4'),
    head=dict(type='LinearHead', num_classes=5, in_channels=1600),
    num_inner_steps=2,
    num_inner_steps_test=5,
    inner_lr=0.01,
    first_order=False,
    track_running_stats=False)

# every task adapts the whole network: no feature caching
val_cfg = dict(meta_test_cfg=dict(fast_test=False))
test_cfg = dict(meta_test_cfg=dict(fast_test=False))
