# Base training on the COCO 2014 trainval images minus the 5k test images
# (TFA's `trainvalno5k.json`), validation and test on the 5k images, with
# COCO box AP. The method config names the classes and the evaluated
# splits. Data layout: tools/data/detection/coco/README.md.
img_prefix = 'data/coco/trainval2014/'
ann_root = 'data/few_shot_ann/coco'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True,
        resize_type='mmdet.Resize'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='FewShotCocoDataset',
        data_prefix=dict(img=img_prefix),
        ann_cfg=[
            dict(
                type='ann_file',
                ann_file=f'{ann_root}/annotations/trainvalno5k.json')
        ],
        classes=None,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='FewShotCocoDataset',
        data_prefix=dict(img=img_prefix),
        ann_cfg=[
            dict(type='ann_file', ann_file=f'{ann_root}/annotations/5k.json')
        ],
        classes=None,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='FewShotCocoMetric',
    ann_file=f'{ann_root}/annotations/5k.json',
    metric='bbox',
    classwise=True,
    class_splits=None)
test_evaluator = val_evaluator
