# SGD with linear warm-up and step decay, counted in iterations (the
# original toolbox's detection schedule: lr 0.02 for 8 GPUs x 2 images,
# warm-up 500 iterations from 0.001 x lr, steps at 60k and 80k, 90k
# iterations). Methods override `train_cfg.max_iters`, `param_scheduler`
# and the learning rate. Frozen parameters are left out of the optimizer.
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='ExcludeFrozenOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        milestones=[60000, 80000],
        gamma=0.1)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=90000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# The learning rates are those of 16 images per iteration; with another
# total batch size, `--cfg-options auto_scale_lr.enable=True` scales them
# linearly (mmengine's rule).
auto_scale_lr = dict(enable=False, base_batch_size=16)
