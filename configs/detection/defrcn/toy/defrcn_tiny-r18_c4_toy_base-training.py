# DeFRCN base training on the generated toy dataset: the narrow toy model
# (`defrcn_tiny-r18_c4.py`) from scratch on the 6 base classes, with the
# budget of the TFA toy base training (8 images a batch, 1200 iterations,
# lr 0.02, warm-up 100, steps at 900 and 1100) and DeFRCN's weight decay
# (5e-5, 1e-4 on biases). Used by the tests and the toy recipe
# (configs/detection/defrcn README).
_base_ = [
    '../../_base_/datasets/fine_tune_based/base_toy.py',
    '../../_base_/schedules/schedule.py', '../defrcn_tiny-r18_c4.py',
    '../../_base_/default_runtime.py'
]
optim_wrapper = dict(
    optimizer=dict(lr=0.02, weight_decay=5e-5),
    paramwise_cfg=dict(bias_decay_mult=2.0))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[900, 1100])
]
train_cfg = dict(max_iters=1200, val_interval=1200)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=600))
