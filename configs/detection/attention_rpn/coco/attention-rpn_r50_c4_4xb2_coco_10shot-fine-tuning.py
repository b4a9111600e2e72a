# Attention-RPN 10-shot fine-tuning on COCO, as the original toolbox: on the
# 20 novel classes only (training, model initialisation and test), 10
# instances of each (benchmark split), 9 support shots per way, the query
# images repeated 50 times; backbone frozen, the rest trains; lr 0.001 and
# twice that for the box head, warm-up 200 from 0.1, steps at 2k and 3k, 3k
# iterations (4 GPUs x 1 image).
_base_ = [
    '../../_base_/datasets/query_aware/few_shot_coco.py',
    '../attention-rpn_r50_c4.py', '../../_base_/default_runtime.py'
]
classes = 'NOVEL_CLASSES'
num_support_shots = 9
train_dataloader = dict(
    dataset=dict(
        num_support_shots=num_support_shots,
        repeat_times=50,
        query_dataset=dict(
            ann_cfg=[dict(method='Attention_RPN', setting='10SHOT')],
            num_novel_shots=10,
            classes=classes)))
model = dict(
    frozen_parameters=['backbone'],
    backbone=dict(init_cfg=None),
    rpn_head=dict(num_support_shots=num_support_shots),
    roi_head=dict(
        num_support_shots=num_support_shots, shared_head=dict(init_cfg=None)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=None)
test_evaluator = val_evaluator
optim_wrapper = dict(
    optimizer=dict(lr=0.001),
    paramwise_cfg=dict(custom_keys={'roi_head.bbox_head': dict(lr_mult=2.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', by_epoch=False, milestones=[2000, 3000])
]
train_cfg = dict(max_iters=3000, val_interval=3000)
default_hooks = dict(checkpoint=dict(interval=3000))
load_from = ('work_dirs/attention-rpn_r50_c4_4xb2_coco_base-training/'
             'iter_120000.pth')
