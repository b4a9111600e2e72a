import itertools

import pytest
from mmengine.dataset import DefaultSampler
from mmengine.registry import DefaultScope

from mmfewshot.classification.datasets import (BaseFewShotDataset,
                                               MetaTestDataset,
                                               build_dataloader,
                                               build_meta_test_dataloaders)
from mmfewshot.utils import InfiniteSampler

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


def episodic_cfg(root, **loader):
    return dict(
        dataset=dict(
            type='EpisodicDataset',
            dataset=dict(
                type='BaseFewShotDataset', data_prefix=root,
                pipeline=PIPELINE),
            num_episodes=10,
            num_ways=2,
            num_shots=1,
            num_queries=2,
            episodes_seed=3),
        batch_size=2,
        num_workers=0,
        **loader)


def support_indices(batch):
    return [ds.sample_idx for ds in batch['support_data']['data_samples']]


def test_build_dataloader_for_episodes(eight_class_root):
    # a foreign default scope must not hide our types
    DefaultScope.get_instance('test-builder-foreign', scope_name='mmpretrain')
    try:
        loader = build_dataloader(episodic_cfg(eight_class_root), seed=0)
    finally:
        DefaultScope._instance_dict.pop('test-builder-foreign')
    assert isinstance(loader.sampler, DefaultSampler)
    assert loader.sampler.shuffle
    batch = next(iter(loader))
    assert sorted(batch) == ['query_data', 'support_data']
    assert len(batch['support_data']['inputs']) == 2 * 2
    assert len(batch['query_data']['inputs']) == 2 * 4
    assert [ds.gt_label.item()
            for ds in batch['query_data']['data_samples']] == \
        [0, 0, 1, 1] * 2
    episodes = loader.dataset
    first_two = list(itertools.islice(iter(loader.sampler), 2))
    assert support_indices(batch) == \
        episodes.episode_support_indices[first_two].flatten().tolist()
    # the same seed shuffles the same way
    again = build_dataloader(episodic_cfg(eight_class_root), seed=0)
    assert list(iter(again.sampler)) == list(iter(loader.sampler))


def test_build_dataloader_infinite(eight_class_root):
    loader = build_dataloader(
        episodic_cfg(eight_class_root, infinite=True), seed=1)
    assert isinstance(loader.sampler, InfiniteSampler)
    batches = list(itertools.islice(iter(loader), 7))  # more than 10 / 2
    assert len(batches) == 7
    with pytest.raises(ValueError, match='`infinite=True`'):
        build_dataloader(
            episodic_cfg(
                eight_class_root,
                infinite=True,
                sampler=dict(type='DefaultSampler')))
    with pytest.raises(KeyError, match='`dataset`'):
        build_dataloader(dict(batch_size=1))


@pytest.fixture
def meta_test(eight_class_root):
    dataset = BaseFewShotDataset(
        data_prefix=eight_class_root, pipeline=PIPELINE, test_mode=True)
    return MetaTestDataset(
        dataset,
        num_episodes=4,
        num_ways=3,
        num_shots=2,
        num_queries=2,
        episodes_seed=2)


def test_meta_test_dataloaders(meta_test):
    test_set_loader, support_loader, query_loader = \
        build_meta_test_dataloaders(
            meta_test,
            dict(
                test_set=dict(batch_size=10),
                support=dict(batch_size=4, train=dict(epochs=3)),
                num_episodes=4))
    assert isinstance(test_set_loader.sampler, DefaultSampler)
    assert not test_set_loader.sampler.shuffle
    assert test_set_loader.batch_size == 10
    seen = []
    for batch in test_set_loader:
        seen += [ds.sample_idx for ds in batch['data_samples']]
        assert [ds.gt_label.item() for ds in batch['data_samples']] == \
            [index // 8 for index in seen[-len(batch['data_samples']):]]
    assert seen == list(range(64))
    # support in batches of 4, the query set in one batch (the default)
    for task_id in (1, 3):
        meta_test.set_task_id(task_id)
        support_batches = list(support_loader)
        assert [len(batch['inputs']) for batch in support_batches] == [4, 2]
        support = [
            ds for batch in support_batches for ds in batch['data_samples']
        ]
        assert [ds.sample_idx for ds in support] == \
            meta_test.episode_support_indices[task_id].tolist()
        assert [ds.gt_label.item() for ds in support] == [0, 0, 1, 1, 2, 2]
        (query_batch, ) = list(query_loader)
        assert [ds.sample_idx for ds in query_batch['data_samples']] == \
            meta_test.episode_query_indices[task_id].tolist()


def test_meta_test_dataloader_config_errors(meta_test):
    with pytest.raises(ValueError, match=r'meta_test_cfg\.query\.batchsize'):
        build_meta_test_dataloaders(meta_test, dict(query=dict(batchsize=4)))
    with pytest.raises(ValueError, match=r'meta_test_cfg\.support\.shuffle'):
        build_meta_test_dataloaders(meta_test,
                                    dict(support=dict(shuffle=True)))
    with pytest.raises(ValueError, match='persistent_workers'):
        build_meta_test_dataloaders(
            meta_test,
            dict(query=dict(num_workers=1, persistent_workers=True)))
    with pytest.raises(TypeError, match='MetaTestDataset'):
        build_meta_test_dataloaders(meta_test.dataset, {})


def test_test_set_loader_shards_between_ranks(meta_test, monkeypatch):
    monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info', lambda:
                        (1, 3))
    test_set_loader, support_loader, _ = build_meta_test_dataloaders(
        meta_test, dict(test_set=dict(batch_size=64)))
    (batch, ) = list(test_set_loader)
    # rank 1 of 3 takes every third sample; the last shard is padded by
    # repeating the first samples (64 -> 66)
    assert [ds.sample_idx for ds in batch['data_samples']] == \
        list(range(1, 64, 3)) + [0]
    # support and query are never sharded: every rank runs whole tasks
    assert len(list(support_loader)[0]['inputs']) == 6
