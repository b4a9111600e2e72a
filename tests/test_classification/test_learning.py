"""Few-shot learning on a separable toy problem: methods trained on base
classes must recognise disjoint novel classes from one example each."""
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]


def meta_test_part(data_prefix):
    return dict(
        test_dataloader=dict(
            batch_size=32,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='MetaTestDataset',
                num_episodes=200,
                num_ways=5,
                num_shots=1,
                num_queries=5,
                episodes_seed=7,
                dataset=dict(
                    type='BaseFewShotDataset',
                    data_prefix=str(data_prefix),
                    pipeline=PIPELINE))),
        test_cfg=dict(
            type='MetaTestLoop',
            meta_test_cfg=dict(
                fast_test=True,
                support=dict(train=dict(num_steps=50, batch_size=4)))),
        test_evaluator=dict(type='EpisodicAccuracy'))


def common(work_dir, max_iters, lr):
    return dict(
        default_scope='mmfewshot_cls',
        work_dir=str(work_dir),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=lr)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=100),
            checkpoint=dict(type='CheckpointHook', interval=10**6,
                            by_epoch=False)),
        log_processor=dict(by_epoch=False),
        randomness=dict(seed=0),
        log_level='WARNING')


PREPROCESSOR = dict(mean=[127.5] * 3, std=[127.5] * 3)


def proto_net_cfg(datasets, work_dir):
    return dict(
        model=dict(
            type='ProtoNet',
            backbone=dict(type='Conv4'),
            data_preprocessor=PREPROCESSOR),
        train_dataloader=dict(
            batch_size=1,
            num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True, seed=0),
            collate_fn=dict(type='multi_pipeline_collate_fn'),
            dataset=dict(
                type='EpisodicDataset',
                num_episodes=1000,
                num_ways=5,
                num_shots=1,
                num_queries=5,
                episodes_seed=0,
                dataset=dict(
                    type='BaseFewShotDataset',
                    data_prefix=str(datasets['base']),
                    pipeline=TRAIN_PIPELINE))),
        **common(work_dir, max_iters=200, lr=1e-3),
        **meta_test_part(datasets['novel']))


def baseline_plus_cfg(datasets, work_dir):
    return dict(
        model=dict(
            type='BaselinePlus',
            backbone=dict(type='Conv4'),
            head=dict(
                type='CosineDistanceHead', num_classes=12, in_channels=256),
            meta_test_head=dict(
                type='CosineDistanceHead', num_classes=5, in_channels=256),
            data_preprocessor=PREPROCESSOR),
        train_dataloader=dict(
            batch_size=32,
            num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True, seed=0),
            dataset=dict(
                type='BaseFewShotDataset',
                data_prefix=str(datasets['base']),
                pipeline=TRAIN_PIPELINE)),
        **common(work_dir, max_iters=200, lr=1e-3),
        **meta_test_part(datasets['novel']))


@pytest.mark.parametrize('make_cfg', [proto_net_cfg, baseline_plus_cfg],
                         ids=['ProtoNet', 'BaselinePlus'])
def test_training_on_base_classes_transfers_to_novel_classes(
        shape_datasets, tmp_path, make_cfg):
    untrained = Runner.from_cfg(
        Config(make_cfg(shape_datasets, tmp_path / 'untrained')))
    before = untrained.test()['accuracy_mean']
    runner = Runner.from_cfg(
        Config(make_cfg(shape_datasets, tmp_path / 'trained')))
    runner.train()
    after = runner.test()['accuracy_mean']
    print(f'5-way 1-shot accuracy on novel classes: untrained {before:.1f}%'
          f', trained {after:.1f}%')
    # chance is 20%; trained features must beat it clearly and improve on
    # random ones
    assert after > 45.0
    assert after > before + 5.0
