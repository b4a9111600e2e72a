# MPSR 30-shot fine-tuning on COCO: as 10-shot with 30 instances of every
# class.
_base_ = ['./mpsr_r101_fpn_2xb2_coco_10shot-fine-tuning.py']
shots = dict(
    ann_cfg=[dict(method='MPSR', setting='30SHOT')],
    num_novel_shots=30,
    num_base_shots=30)
train_dataloader = dict(
    dataset=dict(main_dataset=shots, auxiliary_dataset=shots))
