# FSCE 30-shot fine-tuning on COCO: the surgered base model on 30
# instances of each of the 80 classes, lr 0.001, 40000 iterations; the RoI
# assigner keeps COCO's IoU 0.5.
_base_ = [
    '../../_base_/datasets/fine_tune_based/few_shot_coco.py',
    '../../_base_/schedules/schedule.py', '../fsce_r101_fpn.py',
    '../../_base_/default_runtime.py'
]
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        ann_cfg=[dict(method='FSCE', setting='30SHOT')],
        num_novel_shots=30,
        num_base_shots=30))
model = dict(
    roi_head=dict(bbox_head=dict(num_classes=80)),
    train_cfg=dict(
        rcnn=dict(
            assigner=dict(pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5))))
optim_wrapper = dict(optimizer=dict(lr=0.001))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', by_epoch=False, milestones=[30000], gamma=0.3)
]
train_cfg = dict(max_iters=40000, val_interval=5000)
default_hooks = dict(checkpoint=dict(interval=5000))
load_from = ('work_dirs/fsce_r101_fpn_coco_base-training/'
             'base_model_random_init_bbox_head.pth')
