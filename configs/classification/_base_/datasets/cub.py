# CUB-200-2011 (data/CUB_200_2011/images/<id>.<Name>/*.jpg) with the
# interleaved 100 / 50 / 50 class split of Chen et al. (ICLR 2019).
_base_ = ['./common_84x84.py']

dataset_type = 'CUBDataset'
data_root = 'data/CUB_200_2011'
num_base_classes = 100

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
