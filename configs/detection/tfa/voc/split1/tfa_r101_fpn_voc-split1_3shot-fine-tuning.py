# TFA 3-shot fine-tuning on VOC split 1: as 1-shot with 3 instances of
# every class, 12000 iterations (lr step at 11000, 10 warm-up iterations).
_base_ = ['./tfa_r101_fpn_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_3SHOT')],
        num_novel_shots=3,
        num_base_shots=3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[11000], gamma=0.1)
]
train_cfg = dict(max_iters=12000, val_interval=12000)
default_hooks = dict(checkpoint=dict(interval=12000))
