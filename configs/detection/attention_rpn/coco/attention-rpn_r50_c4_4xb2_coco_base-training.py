# Attention-RPN base training on COCO: R50-C4 on the 60 base classes, 2 ways
# x 10 shots of support per query image, initialised from Detectron2's
# ImageNet ResNet-50 (caffe); the original toolbox's schedule (4 GPUs x 2
# images, lr 0.004 and twice that for the box head, warm-up 1000 from 0.1,
# step at 112k, 120k iterations).
_base_ = [
    '../../_base_/datasets/query_aware/base_coco.py',
    '../attention-rpn_r50_c4.py', '../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES'
train_dataloader = dict(dataset=dict(query_dataset=dict(classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
model_init_dataloader = dict(dataset=dict(classes=classes))
val_cfg = dict(model_init_dataloader=model_init_dataloader)
test_cfg = dict(model_init_dataloader=model_init_dataloader)
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
optim_wrapper = dict(
    optimizer=dict(lr=0.004),
    paramwise_cfg=dict(custom_keys={'roi_head.bbox_head': dict(lr_mult=2.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, milestones=[112000, 120000])
]
train_cfg = dict(max_iters=120000, val_interval=60000)
default_hooks = dict(checkpoint=dict(interval=20000))
