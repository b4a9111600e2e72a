# DeFRCN 10-shot gFSOD fine-tuning on VOC split 3: as the 1-shot config with
# the SPLIT3_10SHOT K-shot files (the authors'
# `defrcn_gfsod_r101_novelx_10shot_seedx.yaml`): 4000 iterations, step at 3200.
_base_ = ['./defrcn_r101_c4_gfsod_voc-split3_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT3_10SHOT')],
        num_novel_shots=10,
        num_base_shots=10))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[3200], gamma=0.1)
]
train_cfg = dict(max_iters=4000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
