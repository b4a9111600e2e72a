# Plain-batch training on the train split of tiered_imagenet.py.
_base_ = ['./tiered_imagenet.py', './plain-train.py']

train_dataloader = dict(dataset=_base_.train_dataset)
