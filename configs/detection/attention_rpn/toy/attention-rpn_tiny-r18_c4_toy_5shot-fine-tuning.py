# Attention-RPN 5-shot fine-tuning on the toy dataset: as 1-shot with five
# instances of every class (4 support shots per way, one instance being the
# query), twice as many iterations.
_base_ = ['./attention-rpn_tiny-r18_c4_toy_1shot-fine-tuning.py']
num_support_shots = 4
model = dict(
    rpn_head=dict(num_support_shots=num_support_shots),
    roi_head=dict(num_support_shots=num_support_shots))
train_dataloader = dict(
    dataset=dict(
        num_support_shots=num_support_shots,
        query_dataset=dict(
            ann_cfg=[dict(method='Attention_RPN', setting='5SHOT', seed=0)],
            num_novel_shots=5,
            num_base_shots=5)))
train_cfg = dict(max_iters=400, val_interval=400)
default_hooks = dict(checkpoint=dict(interval=400))
