# Episodic training of the metric-based methods (ProtoNet, RelationNet,
# MatchingNet) and of MAML: 100k iterations of Adam at a constant 1e-3;
# meta validation and a checkpoint every 2k iterations.
_base_ = ['../default_runtime.py']

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=100000, val_interval=2000)
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=0.001))
param_scheduler = dict(type='ConstantLR', by_epoch=False, factor=1.0)

default_hooks = dict(
    checkpoint=dict(interval=2000, by_epoch=False),
    logger=dict(log_metric_by_epoch=False))
log_processor = dict(by_epoch=False)
