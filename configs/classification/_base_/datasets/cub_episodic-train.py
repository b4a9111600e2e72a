# Episodic training on the train split of cub.py.
_base_ = ['./cub.py', './episodic-train.py']

train_dataloader = dict(dataset=dict(dataset=_base_.train_dataset))
