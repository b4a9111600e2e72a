# TFA 1-shot fine-tuning on VOC split 1: the surgered base model, one
# instance of each of the 20 classes (TFA benchmark split), only the last
# layers train. Run the base training and the surgery first (configs/
# detection/tfa README).
_base_ = [
    '../../../_base_/datasets/fine_tune_based/few_shot_voc.py',
    '../../../_base_/schedules/schedule.py', '../../tfa_r101_fpn.py',
    '../../../_base_/default_runtime.py'
]
classes = 'ALL_CLASSES_SPLIT1'
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT1_1SHOT')],
        num_novel_shots=1,
        num_base_shots=1,
        classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'])
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.001))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[3000], gamma=0.1)
]
train_cfg = dict(max_iters=4000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
load_from = ('work_dirs/tfa_r101_fpn_voc-split1_base-training/'
             'base_model_random_init_bbox_head.pth')
