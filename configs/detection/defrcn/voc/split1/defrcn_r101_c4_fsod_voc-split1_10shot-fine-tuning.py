# DeFRCN 10-shot FSOD fine-tuning on VOC split 1: as the 1-shot config with the
# SPLIT1_10SHOT K-shot files (the authors'
# `defrcn_fsod_r101_novelx_10shot_seedx.yaml`): 4000 iterations, step at 3200.
_base_ = ['./defrcn_r101_c4_fsod_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_10SHOT')],
        num_novel_shots=10))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[3200], gamma=0.1)
]
train_cfg = dict(max_iters=4000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
