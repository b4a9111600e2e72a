# DeFRCN 1-shot fine-tuning on COCO, few-shot detection: one instance of each
# of the 20 novel classes only, the base model without its box predictor
# (remove), test on the novel classes (the authors'
# `defrcn_fsod_r101_novel_1shot_seedx.yaml`, split seed 0: the benchmark split
# files). lr 0.01, 1000 iterations, step at 800, no warm-up, weight decay 5e-5
# (1e-4 on biases), 8 GPUs x 2 images, the RoI head's decoupled layer at 0.01;
# calibrated at test time. Run the base training and the surgery first
# (configs/detection/defrcn README).
_base_ = [
    '../../_base_/datasets/fine_tune_based/few_shot_coco_support_set.py',
    '../defrcn_r101_c4_fine-tuning.py', '../../_base_/default_runtime.py'
]
classes = 'NOVEL_CLASSES'
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='1SHOT')],
        num_novel_shots=1,
        classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=['NOVEL_CLASSES'])
test_evaluator = val_evaluator
model = dict(
    roi_gdl=dict(backward_scale=0.01),
    roi_head=dict(bbox_head=dict(num_classes=20)))
optim_wrapper = dict(
    optimizer=dict(lr=0.01, weight_decay=5e-5),
    paramwise_cfg=dict(bias_decay_mult=2.0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[800], gamma=0.1)
]
train_cfg = dict(max_iters=1000, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000))
load_from = ('work_dirs/defrcn_r101_c4_coco_base-training/'
             'base_model_remove_bbox_head.pth')
