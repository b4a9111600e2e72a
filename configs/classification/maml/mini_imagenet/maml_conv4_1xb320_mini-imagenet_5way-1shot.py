_base_ = [
    '../../_base_/datasets/mini_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_60k_iter.py'
]

# 4 episodes per iteration, each 5-way 1-shot with 15 queries
train_dataloader = dict(
    batch_size=4, dataset=dict(num_shots=1, num_queries=15))

model = dict(
    type='MAML',
    backbone=dict(type='Conv4'),
    head=dict(type='LinearHead', num_classes=5, in_channels=1600),
    num_inner_steps=5,
    num_inner_steps_test=10,
    inner_lr=0.01,
    first_order=False)

# every task adapts the whole network: no feature caching
val_cfg = dict(meta_test_cfg=dict(fast_test=False))
test_cfg = dict(meta_test_cfg=dict(fast_test=False))
