# Classifier pre-training of Meta-Baseline (the "Classifier-Baseline" of
# Chen et al., 2021) on plain batches: 100 epochs of SGD at 0.1, weight
# decay 5e-4, a tenfold decay after epoch 90; meta validation every 5
# epochs. The last checkpoint, ``epoch_100.pth``, initialises the meta
# stage.
_base_ = ['../finetune_runtime.py']

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=5)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0005))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[90], gamma=0.1)

default_hooks = dict(checkpoint=dict(interval=5))
