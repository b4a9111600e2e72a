# TFA 10-shot fine-tuning on VOC split 1: as 1-shot with 10 instances of
# every class, 40000 iterations (lr step at 36000, 10 warm-up iterations).
_base_ = ['./tfa_r101_fpn_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_10SHOT')],
        num_novel_shots=10,
        num_base_shots=10))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[36000], gamma=0.1)
]
train_cfg = dict(max_iters=40000, val_interval=40000)
default_hooks = dict(checkpoint=dict(interval=40000))
