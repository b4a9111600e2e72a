# Meta R-CNN 1-shot fine-tuning on the toy dataset: the toy base model
# (`load_from`; the classifier, regressor and meta classifier are new, so
# their weights are initialised afresh, `reinit_on_load`), one instance of
# each of the 8 classes (split seed 0) as query images and as 8-way 1-shot
# support batches, everything frozen but the box head, constant learning
# rate. Test on all 8 classes, AP50 of base and novel classes.
_base_ = ['./meta-rcnn_tiny-r18_c4_toy_base-training.py']
classes = [
    'circle', 'square', 'triangle', 'ring', 'cross', 'hexagon', 'star',
    'diamond'
]
model = dict(
    frozen_parameters=['backbone', 'rpn_head', 'roi_head.shared_head'],
    roi_head=dict(bbox_head=dict(num_classes=8, num_meta_classes=8)))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='NWayKShotDataset',
        num_support_ways=8,
        num_support_shots=1,
        one_support_shot_per_image=True,
        num_used_support_shots=30,
        query_dataset=dict(
            type='FewShotVOCDefaultDataset',
            data_root={{_base_.data_root}},
            ann_root='data/toy_det/few_shot_ann',
            ann_cfg=[dict(method='MetaRCNN', setting='1SHOT', seed=0)],
            classes=classes,
            novel_classes={{_base_.novel_classes}},
            num_novel_shots=1,
            num_base_shots=1,
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
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = []
train_cfg = dict(max_iters=200, val_interval=200)
default_hooks = dict(checkpoint=dict(interval=200))
reinit_on_load = [
    'roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg',
    'roi_head.bbox_head.fc_meta'
]
load_from = 'work_dirs/meta-rcnn_tiny-r18_c4_toy_base-training/iter_1200.pth'
