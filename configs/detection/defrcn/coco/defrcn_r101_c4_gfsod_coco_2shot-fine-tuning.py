# DeFRCN 2-shot gFSOD fine-tuning on COCO: as the 1-shot config with the 2SHOT
# K-shot files (the authors' `defrcn_gfsod_r101_novel_2shot_seedx.yaml`): 4000
# iterations, step at 3200.
_base_ = ['./defrcn_r101_c4_gfsod_coco_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='2SHOT')],
        num_novel_shots=2,
        num_base_shots=2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[3200], gamma=0.1)
]
train_cfg = dict(max_iters=4000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
