_base_ = [
    '../../_base_/datasets/tiered_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py',
    '../../_base_/models/maml_conv4.py'
]

# one 5-way 5-shot episode with 16 queries per class an iteration (for the
# 1-shot and 5-shot configs alike); the gradients of 8 episodes make one
# update, so 100k iterations are 12.5k updates
optim_wrapper = dict(accumulative_counts=8)

# every task adapts the whole network: no feature caching
val_cfg = dict(meta_test_cfg=dict(fast_test=False))
test_cfg = dict(meta_test_cfg=dict(fast_test=False))
