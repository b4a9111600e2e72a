# TFA 1-shot fine-tuning on the toy dataset: the surgered toy base model
# (`tools/detection/misc/initialize_bbox_head.py --method random_init
# --config <this config>`), one instance of each of the 8 classes (split
# seed 0), everything frozen but the cosine classifier and the box
# regressor. Test on all 8 classes, AP50 of base and novel classes.
_base_ = ['./tfa_tiny-r18_fpn_toy_base-training.py']
base_classes = ['circle', 'square', 'triangle', 'ring', 'cross', 'hexagon']
novel_classes = ['star', 'diamond']
classes = base_classes + novel_classes
model = dict(
    type='TFA',
    frozen_parameters=[
        'backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs'
    ],
    backbone=dict(frozen_stages=4, norm_eval=True),
    roi_head=dict(
        bbox_head=dict(type='CosineSimBBoxHead', num_classes=8, scale=20)))
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        _delete_=True,
        type='FewShotVOCDefaultDataset',
        data_root={{_base_.data_root}},
        ann_root='data/toy_det/few_shot_ann',
        ann_cfg=[dict(method='TFA', setting='1SHOT', seed=0)],
        classes=classes,
        novel_classes=novel_classes,
        num_novel_shots=1,
        num_base_shots=1,
        save_dataset=True,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=dict(BASE_CLASSES=base_classes, NOVEL_CLASSES=novel_classes))
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[120])
]
train_cfg = dict(max_iters=150, val_interval=150)
default_hooks = dict(checkpoint=dict(interval=150))
load_from = ('work_dirs/tfa_tiny-r18_fpn_toy_base-training/'
             'base_model_random_init_bbox_head.pth')
