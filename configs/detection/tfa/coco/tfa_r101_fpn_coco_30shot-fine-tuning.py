# TFA 30-shot fine-tuning on COCO: as 10-shot with 30 instances of every
# class, 240k iterations (lr step at 216k).
_base_ = ['./tfa_r101_fpn_coco_10shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='30SHOT')],
        num_novel_shots=30,
        num_base_shots=30))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[216000], gamma=0.1)
]
train_cfg = dict(max_iters=240000, val_interval=120000)
default_hooks = dict(checkpoint=dict(interval=120000))
