# DeFRCN 5-shot gFSOD fine-tuning on VOC split 1: as the 1-shot config with the
# SPLIT1_5SHOT K-shot files (the authors'
# `defrcn_gfsod_r101_novelx_5shot_seedx.yaml`): 2500 iterations, step at 2000.
_base_ = ['./defrcn_r101_c4_gfsod_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_5SHOT')],
        num_novel_shots=5,
        num_base_shots=5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[2000], gamma=0.1)
]
train_cfg = dict(max_iters=2500, val_interval=2500)
default_hooks = dict(checkpoint=dict(interval=2500))
