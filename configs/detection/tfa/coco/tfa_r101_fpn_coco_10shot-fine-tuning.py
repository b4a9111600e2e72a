# TFA 10-shot fine-tuning on COCO: the surgered base model, 10 instances of
# each of the 80 classes (TFA benchmark split), only the last layers train.
_base_ = [
    '../../_base_/datasets/fine_tune_based/few_shot_coco.py',
    '../../_base_/schedules/schedule.py', '../tfa_r101_fpn.py',
    '../../_base_/default_runtime.py'
]
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='10SHOT')],
        num_novel_shots=10,
        num_base_shots=10))
model = dict(roi_head=dict(bbox_head=dict(num_classes=80)))
optim_wrapper = dict(optimizer=dict(lr=0.001))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[144000], gamma=0.1)
]
train_cfg = dict(max_iters=160000, val_interval=80000)
default_hooks = dict(checkpoint=dict(interval=80000))
load_from = ('work_dirs/tfa_r101_fpn_coco_base-training/'
             'base_model_random_init_bbox_head.pth')
