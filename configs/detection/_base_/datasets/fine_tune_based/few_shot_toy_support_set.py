# Few-shot fine-tuning on the toy dataset for detectors that look at the
# K-shot set again at test time (DeFRCN's calibration): the K-shot set of
# the toy split files (split seed 0; the method config sets the shots),
# 4 images a batch; model initialisation with the K-shot instances at
# their original resolution before every validation and test (the
# checkpoints carry them), every test image also kept as loaded
# (`ori_img`). Test on all 8 classes, AP50 of base and novel classes.
_base_ = ['./base_toy.py', '../../schedules/schedule.py']
classes = [
    'circle', 'square', 'triangle', 'ring', 'cross', 'hexagon', 'star',
    'diamond'
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='KeepOriginalImage'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
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
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        _delete_=True,
        type='FewShotVOCDefaultDataset',
        data_root={{_base_.data_root}},
        ann_root='data/toy_det/few_shot_ann',
        ann_cfg=None,
        classes=classes,
        novel_classes={{_base_.novel_classes}},
        num_novel_shots=None,
        num_base_shots=None,
        save_dataset=True,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(classes=classes, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=dict(
        BASE_CLASSES={{_base_.base_classes}},
        NOVEL_CLASSES={{_base_.novel_classes}}))
test_evaluator = val_evaluator
model_init_dataloader = dict(
    batch_size=1,
    num_workers=0,
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
