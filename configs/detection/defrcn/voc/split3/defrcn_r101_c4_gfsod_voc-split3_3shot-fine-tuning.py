# DeFRCN 3-shot gFSOD fine-tuning on VOC split 3: as the 1-shot config with the
# SPLIT3_3SHOT K-shot files (the authors'
# `defrcn_gfsod_r101_novelx_3shot_seedx.yaml`): 2000 iterations, step at 1600.
_base_ = ['./defrcn_r101_c4_gfsod_voc-split3_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT3_3SHOT')],
        num_novel_shots=3,
        num_base_shots=3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1600], gamma=0.1)
]
train_cfg = dict(max_iters=2000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
