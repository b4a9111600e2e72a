# TFA 5-shot fine-tuning on VOC split 1: as 1-shot with 5 instances of
# every class, 20000 iterations (lr step at 18000, 10 warm-up iterations).
_base_ = ['./tfa_r101_fpn_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_5SHOT')],
        num_novel_shots=5,
        num_base_shots=5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[18000], gamma=0.1)
]
train_cfg = dict(max_iters=20000, val_interval=20000)
default_hooks = dict(checkpoint=dict(interval=20000))
