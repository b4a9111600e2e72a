# Few-shot fine-tuning on PASCAL VOC (`few_shot_voc.py`) for detectors that
# look at the K-shot set again at test time (DeFRCN's calibration): before
# every validation and test, model initialisation runs the instances of the
# K-shot training set (at their original resolution, one per item) through
# the model; the checkpoints carry them, so testing a checkpoint needs no
# split files. Every test image is also kept as loaded (`ori_img`).
_base_ = ['./few_shot_voc.py', '../../schedules/schedule.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='KeepOriginalImage'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'ori_img'))
]
support_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape'))
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model_init_dataloader = dict(
    batch_size=1,
    num_workers=1,
    copy_from_train=True,
    dataset=dict(
        type='FewShotVOCDataset',
        data_root={{_base_.data_root}},
        ann_cfg=None,
        classes=None,
        pipeline=support_pipeline))
val_cfg = dict(
    type='QuerySupportValLoop', model_init_dataloader=model_init_dataloader)
test_cfg = dict(
    type='QuerySupportTestLoop', model_init_dataloader=model_init_dataloader)
custom_hooks = [dict(type='SupportSetCheckpointHook')]
