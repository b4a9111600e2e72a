# DeFRCN 3-shot FSOD fine-tuning on VOC split 3: as the 1-shot config with the
# SPLIT3_3SHOT K-shot files (the authors'
# `defrcn_fsod_r101_novelx_3shot_seedx.yaml`): 1600 iterations, step at 1280.
_base_ = ['./defrcn_r101_c4_fsod_voc-split3_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT3_3SHOT')],
        num_novel_shots=3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1280], gamma=0.1)
]
train_cfg = dict(max_iters=1600, val_interval=1600)
default_hooks = dict(checkpoint=dict(interval=1600))
