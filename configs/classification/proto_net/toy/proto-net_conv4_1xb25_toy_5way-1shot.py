# ProtoNet with a Conv4 backbone on the generated toy dataset of rendered
# characters (`tools/data/classification/make_toy_dataset.py data/toy_fewshot`,
# miniImageNet format, 24 train / 8 val / 8 test classes), the config of
# `make demo`.
# Training: 5-way 1-shot episodes with 4 queries per class (25 images a batch)
# on 32x32 images, a few minutes on 2 CPU cores. Validation: 100 episodes of
# the val classes every 500 iterations; the best checkpoint by accuracy_mean
# is kept. Test: 500 5-way 1-shot episodes (15 queries) of the test classes.
# To read the dataset from elsewhere, override
# `{train,val,test}_dataloader.dataset.dataset.{data_prefix,classes}`.
_base_ = ['../../_base_/default_runtime.py']

data_root = 'data/toy_fewshot'
img_size = 32
num_ways = 5
num_shots = 1

pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_size),
    dict(type='PackInputs'),
]


def _split(subset):
    # the toy wnids are not miniImageNet's: every split names its classes
    return dict(
        type='MiniImageNetDataset',
        data_prefix=data_root,
        subset=subset,
        classes=f'{data_root}/{subset}_classes.txt',
        pipeline=pipeline)


def _meta_test_loader(subset, num_episodes, episodes_seed):
    return dict(
        batch_size=64,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='MetaTestDataset',
            num_episodes=num_episodes,
            num_ways=num_ways,
            num_shots=num_shots,
            num_queries=15,
            episodes_seed=episodes_seed,
            dataset=_split(subset)))


model = dict(
    type='ProtoNet',
    backbone=dict(type='Conv4'),
    head=dict(type='PrototypeHead'),
    data_preprocessor=dict(
        type='FewShotClsDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        to_rgb=True))

train_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_pipeline_collate_fn'),
    dataset=dict(
        type='EpisodicDataset',
        num_episodes=100000,
        num_ways=num_ways,
        num_shots=num_shots,
        num_queries=4,
        episodes_seed=0,
        dataset=_split('train')))
val_dataloader = _meta_test_loader('val', num_episodes=100, episodes_seed=1)
test_dataloader = _meta_test_loader('test', num_episodes=500, episodes_seed=2)
val_evaluator = dict(type='EpisodicAccuracy')
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=3000, val_interval=500)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=0.001))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=False, milestones=[2500], gamma=0.1)

default_hooks = dict(
    # validation scalars are logged at their training iteration
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=500, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
