# DeFRCN 2-shot FSOD fine-tuning on VOC split 1: as the 1-shot config with the
# SPLIT1_2SHOT K-shot files (the authors'
# `defrcn_fsod_r101_novelx_2shot_seedx.yaml`): 1200 iterations, step at 960.
_base_ = ['./defrcn_r101_c4_fsod_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_2SHOT')],
        num_novel_shots=2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[960], gamma=0.1)
]
train_cfg = dict(max_iters=1200, val_interval=1200)
default_hooks = dict(checkpoint=dict(interval=1200))
