# Base training of Meta R-CNN style detectors on PASCAL VOC 2007+2012
# trainval: batches of query images (difficult boxes are targets, resized
# to 1000x600, flipped) paired with one N-way K-shot support batch per
# iteration (15 ways x 1 shot, difficult boxes left out) drawn from a pool
# of at most 200 instances a class that keeps, image by image in dataset
# order, the first instance whose class still has room (as the original),
# each support instance its whole image resized to 224x224 with the box
# mask as a fourth channel. Before every validation and test, the detector
# is initialised with the support instances of training
# (model_init_dataloader) and the checkpoints carry them. The method config
# names the classes of all datasets and the evaluated splits. Data layout:
# tools/data/detection/voc/README.md.
_base_ = ['../fine_tune_based/base_voc.py', '../../schedules/schedule.py']
data_root = 'data/VOCdevkit/'
voc_trainval = [
    dict(type='ann_file', ann_file='VOC2007/ImageSets/Main/trainval.txt'),
    dict(type='ann_file', ann_file='VOC2012/ImageSets/Main/trainval.txt')
]
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
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        type='NWayKShotDataset',
        num_support_ways=15,
        num_support_shots=1,
        one_support_shot_per_image=True,
        num_used_support_shots=200,
        query_dataset=dict(
            type='FewShotVOCDataset',
            data_root=data_root,
            ann_cfg=voc_trainval,
            classes=None,
            use_difficult=True,
            pipeline=query_pipeline),
        support_dataset=dict(
            type='FewShotVOCDataset',
            data_root=data_root,
            ann_cfg=voc_trainval,
            classes=None,
            use_difficult=False,
            pipeline=support_pipeline)),
    support_dataloader=dict(batch_size=1, num_workers=1))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model_init_dataloader = dict(
    batch_size=16,
    num_workers=1,
    copy_from_train=True,
    dataset=dict(
        type='FewShotVOCDataset',
        data_root=data_root,
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
