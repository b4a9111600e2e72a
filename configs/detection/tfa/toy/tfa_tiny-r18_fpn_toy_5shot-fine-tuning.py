# TFA 5-shot fine-tuning on the toy dataset: as 1-shot with five instances of
# every class, twice as many iterations (as TFA trains longer with more
# shots).
_base_ = ['./tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='5SHOT', seed=0)],
        num_novel_shots=5,
        num_base_shots=5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[240])
]
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(checkpoint=dict(interval=300))
