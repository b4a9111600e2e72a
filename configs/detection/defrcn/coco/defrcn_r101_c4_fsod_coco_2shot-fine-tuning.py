# DeFRCN 2-shot FSOD fine-tuning on COCO: as the 1-shot config with the 2SHOT
# K-shot files (the authors' `defrcn_fsod_r101_novel_2shot_seedx.yaml`): 1500
# iterations, step at 1200.
_base_ = ['./defrcn_r101_c4_fsod_coco_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='2SHOT')], num_novel_shots=2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1200], gamma=0.1)
]
train_cfg = dict(max_iters=1500, val_interval=1500)
default_hooks = dict(checkpoint=dict(interval=1500))
