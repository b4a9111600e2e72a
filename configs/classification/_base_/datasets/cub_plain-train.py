# Plain-batch training on the train split of cub.py.
_base_ = ['./cub.py', './plain-train.py']

train_dataloader = dict(dataset=_base_.train_dataset)
