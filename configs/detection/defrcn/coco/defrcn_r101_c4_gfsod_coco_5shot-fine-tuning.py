# DeFRCN 5-shot gFSOD fine-tuning on COCO: as the 1-shot config with the 5SHOT
# K-shot files (the authors' `defrcn_gfsod_r101_novel_5shot_seedx.yaml`): 6000
# iterations, step at 4800.
_base_ = ['./defrcn_r101_c4_gfsod_coco_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='5SHOT')],
        num_novel_shots=5,
        num_base_shots=5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[4800], gamma=0.1)
]
train_cfg = dict(max_iters=6000, val_interval=6000)
default_hooks = dict(checkpoint=dict(interval=6000))
