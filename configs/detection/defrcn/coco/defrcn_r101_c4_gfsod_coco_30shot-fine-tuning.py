# DeFRCN 30-shot gFSOD fine-tuning on COCO: as the 1-shot config with the
# 30SHOT K-shot files (the authors'
# `defrcn_gfsod_r101_novel_30shot_seedx.yaml`): 12000 iterations, step at 9600.
_base_ = ['./defrcn_r101_c4_gfsod_coco_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='30SHOT')],
        num_novel_shots=30,
        num_base_shots=30))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[9600], gamma=0.1)
]
train_cfg = dict(max_iters=12000, val_interval=12000)
default_hooks = dict(checkpoint=dict(interval=12000))
