# FSCE 1-shot fine-tuning on VOC split 2: the surgered base model
# on 1 instance of each of the 20 classes, lr 0.001, 3000 iterations.
_base_ = [
    '../../../_base_/datasets/fine_tune_based/few_shot_voc.py',
    '../../../_base_/schedules/schedule.py', '../../fsce_r101_fpn.py',
    '../../../_base_/default_runtime.py'
]
classes = 'ALL_CLASSES_SPLIT2'
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        ann_cfg=[dict(method='FSCE', setting='SPLIT2_1SHOT')],
        num_novel_shots=1,
        num_base_shots=1,
        classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT2', 'NOVEL_CLASSES_SPLIT2'])
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.001))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=False, milestones=[2000])
]
train_cfg = dict(max_iters=3000, val_interval=1500)
default_hooks = dict(checkpoint=dict(interval=1500))
# 1 and 2 shots fine-tune only the last layers and the second shared FC
model = dict(frozen_parameters=[
    'backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs.0'
])
load_from = ('work_dirs/fsce_r101_fpn_voc-split2_base-training/'
             'base_model_random_init_bbox_head.pth')
