# MPSR 5-shot fine-tuning on the toy dataset: as 1-shot with five instances
# of every class, the backbone trains too (as the original's 5-shot
# configs); as many iterations (MPSR fine-tunes every shot count alike).
_base_ = ['./mpsr_tiny-r18_fpn_toy_1shot-fine-tuning.py']
model = dict(frozen_parameters=None)
train_dataloader = dict(
    dataset=dict(
        main_dataset=dict(
            ann_cfg=[dict(method='MPSR', setting='5SHOT', seed=0)],
            num_novel_shots=5,
            num_base_shots=5)))
