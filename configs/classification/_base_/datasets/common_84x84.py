# What the few-shot benchmarks share: 84x84 images normalised with the
# ImageNet statistics, and the 5-way 1-shot meta test with 15 queries per
# class (100 fixed episodes of the val split for validation, 2000 of the
# test split for testing). A dataset file fills in the inner ``dataset``.

# images are loaded as BGR; the preprocessor converts them to RGB and
# normalises them on the device of the model
data_preprocessor = dict(
    type='FewShotClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=84),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='PackInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=96, edge='short'),
    dict(type='CenterCrop', crop_size=84),
    dict(type='PackInputs')
]

val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='MetaTestDataset',
        num_episodes=100,
        num_ways=5,
        num_shots=1,
        num_queries=15,
        episodes_seed=0))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='MetaTestDataset',
        num_episodes=2000,
        num_ways=5,
        num_shots=1,
        num_queries=15,
        episodes_seed=0))
val_evaluator = dict(type='EpisodicAccuracy')
test_evaluator = dict(type='EpisodicAccuracy')
