# Meta stage of Meta-Baseline: episodic training of a Baseline backbone,
# 100k iterations of SGD at 1e-3 after a linear warm-up over the first 3000
# iterations, a tenfold decay after 20k and 40k iterations; meta validation
# and a checkpoint every 2k iterations.
_base_ = ['../default_runtime.py']

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=100000, val_interval=2000)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.25, by_epoch=False, begin=0, end=3000),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        milestones=[20000, 40000],
        gamma=0.1)
]

default_hooks = dict(
    checkpoint=dict(interval=2000, by_epoch=False),
    logger=dict(log_metric_by_epoch=False))
log_processor = dict(by_epoch=False)
