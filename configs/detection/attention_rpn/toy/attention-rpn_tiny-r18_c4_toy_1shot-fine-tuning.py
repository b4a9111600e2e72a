# Attention-RPN 1-shot fine-tuning on the toy dataset: the toy base model
# (`load_from`), one instance of each of the 8 classes (split seed 0) as
# query images with 2 ways x 1 shot of support, only the multi-relation head
# trains, constant learning rate (AdamW at a tenth of the toy base
# training's rate: the toy base model is trained with AdamW, see there).
_base_ = [
    '../../_base_/datasets/query_aware/few_shot_toy.py',
    '../attention-rpn_tiny-r18_c4.py', '../../_base_/default_runtime.py'
]
num_support_shots = 1
model = dict(
    frozen_parameters=['backbone', 'rpn_head', 'roi_head.shared_head'],
    rpn_head=dict(num_support_shots=num_support_shots),
    roi_head=dict(num_support_shots=num_support_shots))
train_dataloader = dict(
    dataset=dict(
        num_support_shots=num_support_shots,
        query_dataset=dict(
            ann_cfg=[dict(method='Attention_RPN', setting='1SHOT', seed=0)],
            num_novel_shots=1,
            num_base_shots=1)))
train_cfg = dict(max_iters=200, val_interval=200)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=200))
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-4, weight_decay=1e-4))
load_from = ('work_dirs/attention-rpn_tiny-r18_c4_toy_base-training/'
             'iter_300.pth')
