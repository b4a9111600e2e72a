# DeFRCN 1-shot fine-tuning on VOC split 1, few-shot detection: one instance of
# each of the 5 novel classes only, the base model without its box predictor
# (remove: a new one for the 5 classes), test on the novel classes (the
# authors' `defrcn_fsod_r101_novelx_1shot_seedx.yaml`, split seed 0: the
# benchmark split files; difficult boxes are targets, as the authors' loader
# reads them). lr 0.01, 800 iterations, step at 640, no warm-up, weight decay
# 5e-5 (1e-4 on biases), 8 GPUs x 2 images; calibrated at test time. Run the
# base training and the surgery first (configs/detection/defrcn README).
_base_ = [
    '../../../_base_/datasets/fine_tune_based/few_shot_voc_support_set.py',
    '../../defrcn_r101_c4_fine-tuning.py', '../../../_base_/default_runtime.py'
]
classes = 'NOVEL_CLASSES_SPLIT1'
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_1SHOT')],
        num_novel_shots=1,
        classes=classes,
        use_difficult=True))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=['NOVEL_CLASSES_SPLIT1'])
test_evaluator = val_evaluator
model = dict(roi_head=dict(bbox_head=dict(num_classes=5)))
optim_wrapper = dict(
    optimizer=dict(lr=0.01, weight_decay=5e-5),
    paramwise_cfg=dict(bias_decay_mult=2.0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[640], gamma=0.1)
]
train_cfg = dict(max_iters=800, val_interval=800)
default_hooks = dict(checkpoint=dict(interval=800))
load_from = ('work_dirs/defrcn_r101_c4_voc-split1_base-training/'
             'base_model_remove_bbox_head.pth')
