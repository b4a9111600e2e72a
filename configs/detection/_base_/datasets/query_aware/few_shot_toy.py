# Few-shot fine-tuning of Attention-RPN style detectors on the toy dataset:
# the K-shot set of the toy split files (split seed 0; K instances of each of
# the 8 classes) as query images with 2-way support (the method config sets
# the shots), model initialisation with the support instances of training,
# constant learning rate 0.005 (AdamW 1e-4 in the Attention-RPN toy
# configs). Test on all 8 classes, AP50 of base and
# novel classes.
_base_ = ['./base_toy.py']
classes = [
    'circle', 'square', 'triangle', 'ring', 'cross', 'hexagon', 'star',
    'diamond'
]
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
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
            multi_pipelines=dict(
                query={{_base_.query_pipeline}},
                support={{_base_.support_pipeline}}))))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=dict(
        BASE_CLASSES={{_base_.base_classes}},
        NOVEL_CLASSES={{_base_.novel_classes}}))
test_evaluator = val_evaluator
model_init_dataloader = dict(
    _delete_=True,
    batch_size=16,
    num_workers=0,
    copy_from_train=True,
    dataset=dict(
        type='FewShotVOCDataset',
        data_root={{_base_.data_root}},
        ann_cfg=None,
        classes=None,
        pipeline={{_base_.support_pipeline}}))
val_cfg = dict(model_init_dataloader=model_init_dataloader)
test_cfg = dict(model_init_dataloader=model_init_dataloader)
custom_hooks = [dict(type='SupportSetCheckpointHook')]
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = []
