# tieredImageNet (Ren et al., ICLR 2018): the released pickles
# data/tiered_imagenet/{split}_images_png.pkl + {split}_labels.pkl, or the
# PNG folders written by tools/data/classification/tiered-imagenet/. The
# images are decoded from memory (or read from disk) by LoadImageFromBytes.
_base_ = ['./common_84x84.py']

dataset_type = 'TieredImageNetDataset'
data_root = 'data/tiered_imagenet'
num_base_classes = 351

train_pipeline = [dict(type='LoadImageFromBytes')] + \
    _base_.train_pipeline[1:]
test_pipeline = [dict(type='LoadImageFromBytes')] + _base_.test_pipeline[1:]

train_dataset = dict(
    type=dataset_type,
    data_prefix=data_root,
    subset='train',
    pipeline=train_pipeline)
val_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type,
            data_prefix=data_root,
            subset='val',
            pipeline=test_pipeline)))
test_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type,
            data_prefix=data_root,
            subset='test',
            pipeline=test_pipeline)))
