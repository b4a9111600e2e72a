# Attention-RPN 1-shot fine-tuning on VOC split 1: the base model of split 1,
# one instance of each of the 20 classes (benchmark split) as query images
# with 2 ways x 1 shot of support, only the multi-relation head trains,
# constant learning rate 0.001 (8 GPUs x 1 image).
_base_ = [
    '../../../_base_/datasets/query_aware/few_shot_voc.py',
    '../../attention-rpn_r50_c4_fine-tuning.py',
    '../../../_base_/default_runtime.py'
]
classes = 'ALL_CLASSES_SPLIT1'
num_support_shots = 1
train_dataloader = dict(
    dataset=dict(
        num_support_shots=num_support_shots,
        query_dataset=dict(
            ann_cfg=[dict(method='Attention_RPN', setting='SPLIT1_1SHOT')],
            num_novel_shots=1,
            num_base_shots=1,
            classes=classes)))
model = dict(
    rpn_head=dict(num_support_shots=num_support_shots),
    roi_head=dict(num_support_shots=num_support_shots))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'])
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.001))
# constant learning rate: no warm-up, no decay
param_scheduler = []
train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(checkpoint=dict(interval=100))
load_from = ('work_dirs/attention-rpn_r50_c4_voc-split1_base-training/'
             'iter_18000.pth')
