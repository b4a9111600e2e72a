# Base training of Attention-RPN style detectors on COCO (TFA's
# trainvalno5k.json, images with a box under 32x32 pixels dropped): every
# query image (shorter side 440-600, no flip) comes with 2 ways x 10 shots
# of support instances (16 pixels of context, 320x320). Model
# initialisation before every validation and test (COCO 5k): the first 10
# instances (of 32x32 pixels or more) of every class of the training
# images. The method config names the classes and the evaluated splits.
# Data layout: tools/data/detection/coco/README.md.
_base_ = ['../fine_tune_based/base_coco.py', '../../schedules/schedule.py']
coco_trainval = [
    dict(
        type='ann_file',
        ann_file='data/few_shot_ann/coco/annotations/trainvalno5k.json')
]
query_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1000, 440), (1000, 472), (1000, 504), (1000, 536),
                (1000, 568), (1000, 600)],
        keep_ratio=True,
        resize_type='mmdet.Resize'),
    dict(type='PackDetInputs')
]
support_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='CropResizeInstance',
        num_context_pixels=16,
        target_size=(320, 320)),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_pipeline_collate_fn'),
    dataset=dict(
        type='QueryAwareDataset',
        num_support_ways=2,
        num_support_shots=10,
        query_dataset=dict(
            type='FewShotCocoDataset',
            data_prefix=dict(img={{_base_.img_prefix}}),
            ann_cfg=coco_trainval,
            classes=None,
            min_bbox_area=32 * 32,
            multi_pipelines=dict(
                query=query_pipeline, support=support_pipeline))))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model_init_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(
        type='FewShotCocoDataset',
        data_prefix=dict(img={{_base_.img_prefix}}),
        ann_cfg=coco_trainval,
        classes=None,
        num_base_shots=10,
        instance_wise=True,
        min_bbox_area=32 * 32,
        pipeline=support_pipeline))
val_cfg = dict(
    _delete_=True,
    type='QuerySupportValLoop',
    model_init_dataloader=model_init_dataloader)
test_cfg = dict(
    _delete_=True,
    type='QuerySupportTestLoop',
    model_init_dataloader=model_init_dataloader)
