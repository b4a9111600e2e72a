# FSDetView base training on VOC split 1: R101-C4 on the 15 base classes with
# 15-way 1-shot support batches, initialised from Detectron2's ImageNet
# ResNet-101 (caffe); the original toolbox's schedule (8 GPUs x 4 images, lr
# 0.005, warm-up 100, step at 16k, 18k iterations).
_base_ = [
    '../../../_base_/datasets/nway_kshot/base_voc.py',
    '../../fsdetview_r101_c4.py', '../../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES_SPLIT1'
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(classes=classes),
        support_dataset=dict(classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
model = dict(
    roi_head=dict(bbox_head=dict(num_classes=15, num_meta_classes=15)))
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[16000])
]
train_cfg = dict(max_iters=18000, val_interval=6000)
default_hooks = dict(checkpoint=dict(interval=6000))
