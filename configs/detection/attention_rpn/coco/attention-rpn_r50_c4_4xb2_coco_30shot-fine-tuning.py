# Attention-RPN 30-shot fine-tuning on COCO: as 10-shot with 30 instances of
# every novel class, 10 support shots per way, warm-up 400, steps at 3k and
# 5k, 6k iterations.
_base_ = ['./attention-rpn_r50_c4_4xb2_coco_10shot-fine-tuning.py']
num_support_shots = 10
train_dataloader = dict(
    dataset=dict(
        num_support_shots=num_support_shots,
        query_dataset=dict(
            ann_cfg=[dict(method='Attention_RPN', setting='30SHOT')],
            num_novel_shots=30)))
model = dict(
    rpn_head=dict(num_support_shots=num_support_shots),
    roi_head=dict(num_support_shots=num_support_shots))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=400),
    dict(type='MultiStepLR', by_epoch=False, milestones=[3000, 5000])
]
train_cfg = dict(max_iters=6000, val_interval=3000)
