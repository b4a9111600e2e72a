# TFA 5-shot fine-tuning on the toy dataset: as 1-shot with five instances of
# every class.
_base_ = ['./tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='5SHOT', seed=0)],
        num_novel_shots=5,
        num_base_shots=5))
