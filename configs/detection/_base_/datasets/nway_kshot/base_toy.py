# Base training of Meta R-CNN style detectors on the generated toy dataset
# (`tools/data/detection/make_toy_dataset.py data/toy_det`: 128x128 images,
# 6 base and 2 novel shape classes): 4 query images a batch (the scales and
# flips of the TFA toy configs) with a 6-way 1-shot support batch, support
# instances as 64x64 image + mask. Validation and test on the base classes
# of the toy test images, after model initialisation with the support
# instances of training. Schedule: 1200 iterations, lr 0.02, warm-up 100,
# steps at 900 and 1100 (as the TFA toy base training).
_base_ = ['./base_voc.py']
data_root = 'data/toy_det/'
base_classes = ['circle', 'square', 'triangle', 'ring', 'cross', 'hexagon']
novel_classes = ['star', 'diamond']
toy_trainval = [dict(type='ann_file', ann_file='ImageSets/Main/trainval.txt')]
query_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(112, 112), (128, 128), (144, 144)],
        keep_ratio=True,
        resize_type='mmdet.Resize'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
support_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='GenerateMask', target_size=(64, 64)),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
# support_pool='random': one shot per image drawn among all images holding
# a class, as the toy numbers of the method READMEs were measured (the
# VOC/COCO configs keep the original's first instance per image)
train_dataloader = dict(
    num_workers=1,
    dataset=dict(
        num_support_ways=6,
        support_pool='random',
        query_dataset=dict(
            data_root=data_root,
            ann_cfg=toy_trainval,
            classes=base_classes,
            pipeline=query_pipeline),
        support_dataset=dict(
            data_root=data_root,
            ann_cfg=toy_trainval,
            classes=base_classes,
            pipeline=support_pipeline)),
    support_dataloader=dict(num_workers=0))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_cfg=[dict(type='ann_file', ann_file='ImageSets/Main/test.txt')],
        classes=base_classes,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    eval_mode='area',
    class_splits=dict(_delete_=True, BASE_CLASSES=base_classes))
test_evaluator = val_evaluator
model_init_dataloader = dict(
    num_workers=0,
    dataset=dict(data_root=data_root, pipeline=support_pipeline))
val_cfg = dict(model_init_dataloader=model_init_dataloader)
test_cfg = dict(model_init_dataloader=model_init_dataloader)
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[900, 1100])
]
train_cfg = dict(max_iters=1200, val_interval=1200)
