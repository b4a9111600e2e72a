# miniImageNet with the split of Ravi & Larochelle (ICLR 2017):
# data/mini_imagenet/{train,val,test}.csv and the ImageNet files in
# data/mini_imagenet/images/<wnid>/ (or the flat 84x84 release in images/).
_base_ = ['./common_84x84.py']

dataset_type = 'MiniImageNetDataset'
data_root = 'data/mini_imagenet'
num_base_classes = 64

train_dataset = dict(
    type=dataset_type,
    data_prefix=data_root,
    subset='train',
    pipeline=_base_.train_pipeline)
val_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type,
            data_prefix=data_root,
            subset='val',
            pipeline=_base_.test_pipeline)))
test_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type,
            data_prefix=data_root,
            subset='test',
            pipeline=_base_.test_pipeline)))
