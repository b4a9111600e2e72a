# FSCE 5-shot fine-tuning on the toy dataset: as 1-shot with five instances
# of every class, 300 iterations, and only the backbone frozen (FSCE from
# 3 shots on), at a lower learning rate (0.002) since much more of the
# model trains.
_base_ = ['./fsce_tiny-r18_fpn_toy_1shot-fine-tuning.py']
model = dict(frozen_parameters=['backbone'])
optim_wrapper = dict(optimizer=dict(lr=0.002))
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='FSCE', setting='5SHOT', seed=0)],
        num_novel_shots=5,
        num_base_shots=5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[240])
]
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(checkpoint=dict(interval=300))
