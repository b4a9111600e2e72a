# FSDetView 1-shot fine-tuning on the toy dataset: the toy base model
# (`load_from`; new classifier, regressor and meta classifier,
# `reinit_on_load`), one instance of each of the 8 classes (split seed 0) as
# query images and as 8-way 1-shot support batches; everything frozen but
# the box head, constant learning rate. Unlike the VOC/COCO configs (and the
# original toolbox), the frozen aggregators' BatchNorm1d statistics stay
# fixed: updated on the few toy shots they wreck the base model (measured
# novel / base AP50 2.9 / 15.6 with updating, 33.1 / 32.1 fixed, 1 shot).
_base_ = [
    '../../_base_/datasets/nway_kshot/few_shot_toy.py',
    '../fsdetview_tiny-r18_c4.py', '../../_base_/default_runtime.py'
]
model = dict(
    frozen_parameters=[
        'backbone', 'rpn_head', 'roi_head.shared_head',
        'roi_head.aggregation_layer'
    ],
    freeze_norm_stats=True,
    roi_head=dict(bbox_head=dict(num_classes=8, num_meta_classes=8)))
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='1SHOT', seed=0)],
            num_novel_shots=1,
            num_base_shots=1)))
train_cfg = dict(max_iters=200, val_interval=200)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=200))
reinit_on_load = [
    'roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg',
    'roi_head.bbox_head.fc_meta'
]
load_from = 'work_dirs/fsdetview_tiny-r18_c4_toy_base-training/iter_1200.pth'
