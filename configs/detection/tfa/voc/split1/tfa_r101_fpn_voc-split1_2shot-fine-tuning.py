# TFA 2-shot fine-tuning on VOC split 1: as 1-shot with 2 instances of
# every class, 8000 iterations (lr step at 7000, no warm-up).
_base_ = ['./tfa_r101_fpn_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_2SHOT')],
        num_novel_shots=2,
        num_base_shots=2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[7000], gamma=0.1)
]
train_cfg = dict(max_iters=8000, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
