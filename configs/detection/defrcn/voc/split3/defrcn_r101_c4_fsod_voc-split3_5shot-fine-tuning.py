# DeFRCN 5-shot FSOD fine-tuning on VOC split 3: as the 1-shot config with the
# SPLIT3_5SHOT K-shot files (the authors'
# `defrcn_fsod_r101_novelx_5shot_seedx.yaml`): 2000 iterations, step at 1600.
_base_ = ['./defrcn_r101_c4_fsod_voc-split3_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT3_5SHOT')],
        num_novel_shots=5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1600], gamma=0.1)
]
train_cfg = dict(max_iters=2000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
