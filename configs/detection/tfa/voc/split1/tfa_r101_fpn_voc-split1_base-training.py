# TFA base training on VOC split 1: plain Faster R-CNN R101-FPN on the 15
# base classes, initialised from Detectron2's ImageNet ResNet-101 (caffe).
# The next step is the surgery of its last checkpoint (configs/detection/tfa
# README).
_base_ = [
    '../../../_base_/datasets/fine_tune_based/base_voc.py',
    '../../../_base_/schedules/schedule.py',
    '../../../_base_/models/faster_rcnn_r50_caffe_fpn.py',
    '../../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES_SPLIT1'
train_dataloader = dict(dataset=dict(classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnet101_caffe')),
    roi_head=dict(bbox_head=dict(num_classes=15)))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[12000, 16000])
]
train_cfg = dict(max_iters=18000, val_interval=3000)
