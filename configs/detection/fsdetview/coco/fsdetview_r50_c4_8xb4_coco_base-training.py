# FSDetView base training on COCO: R50-C4 on the 60 base classes with
# 60-way 1-shot support batches from at most 200 instances a class,
# initialised from Detectron2's ImageNet ResNet-50 (caffe); the original
# toolbox's schedule (8 GPUs x 4 images, lr 0.01, warm-up 1000 iterations,
# 80k iterations; its step at 80k comes when the run ends, so the rate never
# decays).
_base_ = [
    '../../_base_/datasets/nway_kshot/base_coco.py', '../fsdetview_r50_c4.py',
    '../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES'
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(classes=classes),
        support_dataset=dict(classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
model = dict(
    roi_head=dict(bbox_head=dict(num_classes=60, num_meta_classes=60)))
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000)
]
train_cfg = dict(max_iters=80000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
