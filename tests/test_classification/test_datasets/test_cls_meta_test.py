import pytest
import torch
from mmpretrain.structures import DataSample

from mmfewshot.classification.datasets import (BaseFewShotDataset,
                                               MetaTestDataset)

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
NUM_WAYS, NUM_SHOTS, NUM_QUERIES = 3, 2, 3


@pytest.fixture(scope='module')
def meta_test(eight_class_root):
    dataset = BaseFewShotDataset(
        data_prefix=eight_class_root, pipeline=PIPELINE, test_mode=True)
    return MetaTestDataset(
        dataset,
        num_episodes=6,
        num_ways=NUM_WAYS,
        num_shots=NUM_SHOTS,
        num_queries=NUM_QUERIES,
        episodes_seed=11)


def labels_of(view):
    return [view[p]['data_samples'].gt_label.item() for p in range(len(view))]


def test_modes_and_lengths(meta_test):
    assert meta_test.mode == 'test_set'
    assert meta_test.num_episodes == 6
    test_set, support, query = (meta_test.test_set(), meta_test.support(),
                                meta_test.query())
    assert (test_set.mode, support.mode, query.mode) == \
        ('test_set', 'support', 'query')
    assert len(test_set) == 64
    assert len(support) == NUM_WAYS * NUM_SHOTS
    assert len(query) == NUM_WAYS * NUM_QUERIES
    # views share the episodes rather than copying them
    assert support.episode_support_indices is \
        meta_test.episode_support_indices
    assert meta_test.episode_support_indices.shape == (6, 6)
    assert meta_test.episode_query_indices.shape == (6, 9)
    with pytest.raises(IndexError, match=r'\[0, 5\]'):
        meta_test.set_task_id(6)
    with pytest.raises(IndexError):
        support[NUM_WAYS * NUM_SHOTS]


def test_test_set_items_keep_original_labels(meta_test):
    test_set = meta_test.test_set()
    item = test_set[19]
    assert item['inputs'].shape == (3, 5, 5)
    assert item['data_samples'].gt_label.tolist() == [2]
    assert item['data_samples'].sample_idx == 19
    assert 'ori_gt_label' not in item['data_samples']


def test_support_and_query_of_a_task_match(meta_test):
    support, query = meta_test.support(), meta_test.query()
    for task_id in (0, 4, 2):
        meta_test.set_task_id(task_id)  # seen by both views
        assert support.task_id == query.task_id == task_id
        support_items = [support[p] for p in range(len(support))]
        query_items = [query[p] for p in range(len(query))]
        assert [item['data_samples'].sample_idx for item in support_items] \
            == meta_test.episode_support_indices[task_id].tolist()
        assert [item['data_samples'].sample_idx for item in query_items] == \
            meta_test.episode_query_indices[task_id].tolist()
        assert [
            item['data_samples'].gt_label.item() for item in support_items
        ] == [0, 0, 1, 1, 2, 2]
        assert [item['data_samples'].gt_label.item()
                for item in query_items] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
        # the same way means the same original class in support and query
        class_ids = meta_test.episode_class_ids[task_id].tolist()
        for items in (support_items, query_items):
            for item in items:
                sample = item['data_samples']
                assert sample.ori_gt_label == class_ids[sample.gt_label.item()]
                # the image really is of that class (pixel key 10 * class + n)
                assert item['inputs'][2, 0, 0].item() // 10 == \
                    sample.ori_gt_label
    meta_test.set_task_id(0)


def test_feature_cache_is_shared_by_views(meta_test):
    support = meta_test.support()
    feats = torch.arange(64 * 2, dtype=torch.float32).reshape(64, 2)
    assert not support.feats_cached
    meta_test.cache_feats(feats)
    try:
        assert support.feats_cached
        meta_test.set_task_id(3)
        for position in range(len(support)):
            item = support[position]
            index = meta_test.episode_support_indices[3, position].item()
            assert sorted(item) == ['data_samples', 'feats']
            assert torch.equal(item['feats'], feats[index])
            assert isinstance(item['data_samples'], DataSample)
            assert item['data_samples'].gt_label.item() == position // 2
            assert item['data_samples'].sample_idx == index
        test_item = meta_test.test_set()[40]
        assert torch.equal(test_item['feats'], feats[40])
        assert test_item['data_samples'].gt_label.item() == 5
        assert labels_of(meta_test.query()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    finally:
        support.uncache_feats()
    assert not meta_test.feats_cached
    assert 'inputs' in support[0]
    with pytest.raises(ValueError, match=r'\(64\)'):
        meta_test.cache_feats(torch.zeros(63, 2))
    meta_test.set_task_id(0)


def test_meta_test_needs_queries(eight_class_root):
    dataset = BaseFewShotDataset(data_prefix=eight_class_root)
    with pytest.raises(ValueError, match='`num_queries`'):
        MetaTestDataset(
            dataset, num_episodes=2, num_ways=2, num_shots=1, num_queries=0)
