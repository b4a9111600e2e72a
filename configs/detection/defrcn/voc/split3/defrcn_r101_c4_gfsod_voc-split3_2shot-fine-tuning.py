# DeFRCN 2-shot gFSOD fine-tuning on VOC split 3: as the 1-shot config with the
# SPLIT3_2SHOT K-shot files (the authors'
# `defrcn_gfsod_r101_novelx_2shot_seedx.yaml`): 1500 iterations, step at 1200.
_base_ = ['./defrcn_r101_c4_gfsod_voc-split3_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT3_2SHOT')],
        num_novel_shots=2,
        num_base_shots=2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1200], gamma=0.1)
]
train_cfg = dict(max_iters=1500, val_interval=1500)
default_hooks = dict(checkpoint=dict(interval=1500))
