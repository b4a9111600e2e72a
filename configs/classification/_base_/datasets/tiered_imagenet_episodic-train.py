# Episodic training on the train split of tiered_imagenet.py.
_base_ = ['./tiered_imagenet.py', './episodic-train.py']

train_dataloader = dict(dataset=dict(dataset=_base_.train_dataset))
