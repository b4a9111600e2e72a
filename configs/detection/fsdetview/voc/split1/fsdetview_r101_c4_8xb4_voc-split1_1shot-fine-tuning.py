# FSDetView 1-shot fine-tuning on VOC split 1: the base model of split 1, one
# instance of each of the 20 classes (benchmark split) as queries and 20-way
# 1-shot supports, only the box head trains, constant learning rate 0.005 (8
# GPUs x 4 images).
_base_ = [
    '../../../_base_/datasets/nway_kshot/few_shot_voc.py',
    '../../fsdetview_r101_c4_fine-tuning.py',
    '../../../_base_/default_runtime.py'
]
classes = 'ALL_CLASSES_SPLIT1'
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='SPLIT1_1SHOT')],
            num_novel_shots=1,
            num_base_shots=1,
            classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'])
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.005))
# constant learning rate: no warm-up, no decay
param_scheduler = []
train_cfg = dict(max_iters=100, val_interval=50)
default_hooks = dict(checkpoint=dict(interval=50))
load_from = ('work_dirs/fsdetview_r101_c4_8xb4_voc-split1_base-training/'
             'iter_18000.pth')
