# Base training of Meta R-CNN style detectors on COCO (TFA's
# trainvalno5k.json): batches of query images (1000x600, flipped) paired
# with a 60-way 1-shot support batch per iteration, drawn from a pool of at
# most 200 instances a class that keeps, image by image in dataset order,
# the first instance whose class still has room (as the original), support
# instances as 224x224 image + mask. Model initialisation with the support
# instances of training before every validation and test (COCO 5k); the
# checkpoints carry them. The method config names the classes and evaluated
# splits. Data layout: tools/data/detection/coco/README.md.
_base_ = ['../fine_tune_based/base_coco.py', '../../schedules/schedule.py']
query_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
support_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='GenerateMask', target_size=(224, 224)),
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
coco_dataset = dict(
    type='FewShotCocoDataset',
    data_prefix=dict(img={{_base_.img_prefix}}),
    ann_cfg=[
        dict(
            type='ann_file',
            ann_file='data/few_shot_ann/coco/annotations/trainvalno5k.json')
    ],
    classes=None)
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        type='NWayKShotDataset',
        num_support_ways=60,
        num_support_shots=1,
        one_support_shot_per_image=True,
        num_used_support_shots=200,
        query_dataset=dict(coco_dataset, pipeline=query_pipeline),
        support_dataset=dict(coco_dataset, pipeline=support_pipeline)),
    support_dataloader=dict(batch_size=1, num_workers=1))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model_init_dataloader = dict(
    batch_size=16,
    num_workers=1,
    copy_from_train=True,
    dataset=dict(
        type='FewShotCocoDataset',
        data_prefix=dict(img={{_base_.img_prefix}}),
        ann_cfg=None,
        classes=None,
        pipeline=support_pipeline))
val_cfg = dict(
    _delete_=True,
    type='QuerySupportValLoop',
    model_init_dataloader=model_init_dataloader)
test_cfg = dict(
    _delete_=True,
    type='QuerySupportTestLoop',
    model_init_dataloader=model_init_dataloader)
custom_hooks = [dict(type='SupportSetCheckpointHook')]
