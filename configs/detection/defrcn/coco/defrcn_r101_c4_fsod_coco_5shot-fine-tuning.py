# DeFRCN 5-shot FSOD fine-tuning on COCO: as the 1-shot config with the 5SHOT
# K-shot files (the authors' `defrcn_fsod_r101_novel_5shot_seedx.yaml`): 2500
# iterations, step at 2000.
_base_ = ['./defrcn_r101_c4_fsod_coco_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='5SHOT')], num_novel_shots=5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[2000], gamma=0.1)
]
train_cfg = dict(max_iters=2500, val_interval=2500)
default_hooks = dict(checkpoint=dict(interval=2500))
