# Plain-batch training on the train split of mini_imagenet.py.
_base_ = ['./mini_imagenet.py', './plain-train.py']

train_dataloader = dict(dataset=_base_.train_dataset)
