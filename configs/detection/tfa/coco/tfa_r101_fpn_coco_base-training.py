# TFA base training on COCO: plain Faster R-CNN R101-FPN on the 60 base
# classes, initialised from Detectron2's ImageNet ResNet-101 (caffe). The
# images come from an infinite sampler, as in the original toolbox (its VOC
# base trainings use a regular one).
_base_ = [
    '../../_base_/datasets/fine_tune_based/base_coco.py',
    '../../_base_/schedules/schedule.py',
    '../../_base_/models/faster_rcnn_r50_caffe_fpn.py',
    '../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES'
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnet101_caffe')),
    roi_head=dict(bbox_head=dict(num_classes=60)))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(type='MultiStepLR', by_epoch=False, milestones=[85000, 100000])
]
train_cfg = dict(max_iters=110000, val_interval=5000)
