# Episodic training on the train split of mini_imagenet.py.
_base_ = ['./mini_imagenet.py', './episodic-train.py']

train_dataloader = dict(dataset=dict(dataset=_base_.train_dataset))
