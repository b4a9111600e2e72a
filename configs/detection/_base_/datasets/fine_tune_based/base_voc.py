# Base training on PASCAL VOC 2007+2012 trainval (difficult boxes are
# targets), validation and test on VOC 2007 test (difficult boxes ignored,
# 11-point AP50). The method config names the classes of all three
# datasets, e.g. `classes='BASE_CLASSES_SPLIT1'`, and the evaluated splits.
# Data layout: tools/data/detection/voc/README.md.
data_root = 'data/VOCdevkit/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 480), (1333, 512), (1333, 544), (1333, 576),
                (1333, 608), (1333, 640), (1333, 672), (1333, 704),
                (1333, 736), (1333, 768), (1333, 800)],
        keep_ratio=True,
        resize_type='mmdet.Resize'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    # after Resize: the metric reads the ground truth in original
    # coordinates from the packed sample
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
        type='FewShotVOCDataset',
        data_root=data_root,
        ann_cfg=[
            dict(
                type='ann_file',
                ann_file='VOC2007/ImageSets/Main/trainval.txt'),
            dict(
                type='ann_file',
                ann_file='VOC2012/ImageSets/Main/trainval.txt')
        ],
        classes=None,
        use_difficult=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='FewShotVOCDataset',
        data_root=data_root,
        ann_cfg=[
            dict(type='ann_file', ann_file='VOC2007/ImageSets/Main/test.txt')
        ],
        classes=None,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='FewShotVOCMetric', eval_mode='11points', class_splits=None)
test_evaluator = val_evaluator
