# Attention-RPN 5-shot fine-tuning on VOC split 3: as 1-shot with 5 instances
# of every class, 4 support shots per way (one instance of a class is the
# query).
_base_ = ['./attention-rpn_r50_c4_voc-split3_1shot-fine-tuning.py']
num_support_shots = 4
train_dataloader = dict(
    dataset=dict(
        num_support_shots=num_support_shots,
        query_dataset=dict(
            ann_cfg=[dict(method='Attention_RPN', setting='SPLIT3_5SHOT')],
            num_novel_shots=5,
            num_base_shots=5)))
model = dict(
    rpn_head=dict(num_support_shots=num_support_shots),
    roi_head=dict(num_support_shots=num_support_shots))
train_cfg = dict(max_iters=1200, val_interval=400)
default_hooks = dict(checkpoint=dict(interval=400))
