# Base training on the generated toy dataset
# (`tools/data/detection/make_toy_dataset.py data/toy_det`: shapes on
# cluttered 128x128 backgrounds, 6 base and 2 novel classes): 8 images a
# batch at shorter side 112/128/144 with flips, validation and test on the
# base classes of the toy test images (area AP50). The method config sets
# the model and the schedule.
data_root = 'data/toy_det/'
base_classes = ['circle', 'square', 'triangle', 'ring', 'cross', 'hexagon']
novel_classes = ['star', 'diamond']
train_pipeline = [
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
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        type='FewShotVOCDataset',
        data_root=data_root,
        ann_cfg=[
            dict(type='ann_file', ann_file='ImageSets/Main/trainval.txt')
        ],
        classes=base_classes,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='FewShotVOCDataset',
        data_root=data_root,
        ann_cfg=[dict(type='ann_file', ann_file='ImageSets/Main/test.txt')],
        classes=base_classes,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='FewShotVOCMetric',
    eval_mode='area',
    class_splits=dict(BASE_CLASSES=base_classes))
test_evaluator = val_evaluator
