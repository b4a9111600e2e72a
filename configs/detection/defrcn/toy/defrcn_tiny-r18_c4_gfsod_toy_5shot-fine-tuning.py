# DeFRCN 5-shot fine-tuning on the toy dataset: as 1-shot with five
# instances of every class and twice the iterations (as the TFA toy
# 5-shot fine-tuning), step at 80%.
_base_ = ['./defrcn_tiny-r18_c4_gfsod_toy_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='5SHOT', seed=0)],
        num_novel_shots=5,
        num_base_shots=5))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[240])]
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(checkpoint=dict(interval=300))
