# Base training of the fine-tune based methods (Baseline, Baseline++,
# NegMargin) on tieredImageNet: 100 epochs of SGD at 0.05 after a linear
# warm-up over the first 5000 iterations, a tenfold decay after epochs 30
# and 60; meta validation (with fine-tuned heads) every 5 epochs.
_base_ = ['../finetune_runtime.py']

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=5)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.25, by_epoch=False, begin=0, end=5000),
    dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60], gamma=0.1)
]

default_hooks = dict(checkpoint=dict(interval=5))
