import itertools

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.structures import DataSample

from mmfewshot.utils import (DistributedInfiniteSampler, InfiniteSampler,
                             local_numpy_seed, multi_pipeline_collate_fn)


def take(sampler, count):
    return list(itertools.islice(iter(sampler), count))


def test_infinite_sampler_same_seed_same_order():
    dataset = list(range(10))
    first = take(InfiniteSampler(dataset, seed=3), 35)
    second = take(InfiniteSampler(dataset, seed=3), 35)
    other = take(InfiniteSampler(dataset, seed=4), 35)
    assert first == second
    assert first != other
    # every pass over the data is a permutation of it
    for epoch in range(3):
        assert sorted(first[epoch * 10:(epoch + 1) * 10]) == dataset
    # and passes are shuffled differently
    assert first[:10] != first[10:20]


def test_infinite_sampler_without_shuffle_cycles_in_order():
    assert take(InfiniteSampler(range(4), shuffle=False, seed=0),
                10) == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]


def test_distributed_shards_are_disjoint_and_cover_each_pass():
    dataset = list(range(12))
    shards = [
        take(DistributedInfiniteSampler(
            dataset, seed=7, num_replicas=3, rank=rank), 4)
        for rank in range(3)
    ]
    flat = list(itertools.chain(*shards))
    assert sorted(flat) == dataset  # disjoint and complete for one pass
    # interleaving the shards gives back the single-process stream
    single = take(InfiniteSampler(dataset, seed=7), 12)
    assert [shards[i % 3][i // 3] for i in range(12)] == single


def test_sampler_rejects_bad_rank_and_empty_dataset():
    with pytest.raises(ValueError, match='rank 2'):
        DistributedInfiniteSampler(range(3), seed=0, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match='empty'):
        InfiniteSampler([], seed=0)


def test_local_numpy_seed_restores_global_state():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    with local_numpy_seed(5):
        inside = np.random.rand(2)
    after = np.random.rand(3)
    np.testing.assert_array_equal(after, expected)
    with local_numpy_seed(5):
        np.testing.assert_array_equal(np.random.rand(2), inside)


def test_local_numpy_seed_restores_state_after_exception():
    np.random.seed(1)
    expected = np.random.rand()
    np.random.seed(1)
    with pytest.raises(RuntimeError):
        with local_numpy_seed(9):
            np.random.rand(10)
            raise RuntimeError('boom')
    assert np.random.rand() == expected


def _sample(value, label):
    return dict(
        inputs=torch.full((3, 2, 2), float(value)),
        data_samples=DataSample().set_gt_label(label))


def test_multi_pipeline_collate_flattens_support_and_query():
    episodes = [
        dict(
            support_data=[_sample(0, 0), _sample(1, 1)],
            query_data=[_sample(2, 0)]),
        dict(
            support_data=[_sample(3, 0), _sample(4, 1)],
            query_data=[_sample(5, 1)]),
    ]
    batch = multi_pipeline_collate_fn(episodes)
    assert set(batch) == {'support_data', 'query_data'}
    support = batch['support_data']
    assert [int(t[0, 0, 0]) for t in support['inputs']] == [0, 1, 3, 4]
    assert [int(s.gt_label) for s in support['data_samples']] == [0, 1, 0, 1]
    assert [int(t[0, 0, 0]) for t in batch['query_data']['inputs']] == [2, 5]


def test_multi_pipeline_collate_matches_pseudo_collate_on_plain_samples():
    samples = [_sample(i, i % 2) for i in range(3)]
    ours = multi_pipeline_collate_fn(samples)
    theirs = pseudo_collate(samples)
    assert len(ours['inputs']) == len(theirs['inputs']) == 3
    for a, b in zip(ours['inputs'], theirs['inputs']):
        assert torch.equal(a, b)
