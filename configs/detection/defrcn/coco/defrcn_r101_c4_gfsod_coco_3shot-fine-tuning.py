# DeFRCN 3-shot gFSOD fine-tuning on COCO: as the 1-shot config with the 3SHOT
# K-shot files (the authors' `defrcn_gfsod_r101_novel_3shot_seedx.yaml`): 4800
# iterations, step at 3840.
_base_ = ['./defrcn_r101_c4_gfsod_coco_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='3SHOT')],
        num_novel_shots=3,
        num_base_shots=3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[3840], gamma=0.1)
]
train_cfg = dict(max_iters=4800, val_interval=4800)
default_hooks = dict(checkpoint=dict(interval=4800))
