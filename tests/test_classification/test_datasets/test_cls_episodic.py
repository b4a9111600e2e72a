import numpy as np
import pytest
import torch

from mmfewshot.classification.datasets import (BaseFewShotDataset,
                                               EpisodicDataset)
from mmfewshot.classification.datasets.episode_sampler import \
    sample_without_replacement
from mmfewshot.classification.registry import DATASETS
from mmfewshot.utils import ConfigError, multi_pipeline_collate_fn

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


@pytest.fixture(scope='module')
def records(eight_class_root):
    """The 64-image dataset without a pipeline: items are raw records."""
    return BaseFewShotDataset(data_prefix=eight_class_root)


def test_sample_without_replacement_is_distinct_and_uniform():
    rng = np.random.default_rng(0)
    counts = np.zeros((3, 6))
    for _ in range(6000):
        picks = sample_without_replacement(rng, 6, 3)
        assert len(set(picks)) == 3
        assert min(picks) >= 0 and max(picks) < 6
        counts[np.arange(3), picks] += 1
    # every value is equally likely at every position: 1000 expected each
    assert np.abs(counts - 1000).max() < 120
    assert sorted(sample_without_replacement(rng, 5, 5)) == [0, 1, 2, 3, 4]
    assert sample_without_replacement(rng, 5, 0) == []
    # a small sample of a huge population
    picks = sample_without_replacement(rng, 10**12, 4)
    assert len(set(picks)) == 4 and max(picks) < 10**12


def test_episodes_are_valid_few_shot_tasks(records):
    episodes = EpisodicDataset(
        records,
        num_episodes=50,
        num_ways=3,
        num_shots=2,
        num_queries=4,
        episodes_seed=1)
    labels = records.get_gt_labels()
    assert len(episodes) == 50
    assert episodes.episode_class_ids.shape == (50, 3)
    assert episodes.episode_support_indices.shape == (50, 6)
    assert episodes.episode_query_indices.shape == (50, 12)
    assert episodes.episode_support_indices.dtype == torch.int64
    for class_ids, support, query in zip(episodes.episode_class_ids,
                                         episodes.episode_support_indices,
                                         episodes.episode_query_indices):
        class_ids = class_ids.numpy()
        assert len(set(class_ids.tolist())) == 3
        support, query = support.numpy(), query.numpy()
        assert len(set(support.tolist()) | set(query.tolist())) == 18
        # class-major: way w holds positions [w * shots, (w + 1) * shots)
        assert labels[support].tolist() == np.repeat(class_ids, 2).tolist()
        assert labels[query].tolist() == np.repeat(class_ids, 4).tolist()
    # all classes get drawn over 50 episodes
    assert set(episodes.episode_class_ids.flatten().tolist()) == set(range(8))


def test_items_carry_episode_labels_class_major(records):
    episodes = EpisodicDataset(
        records,
        num_episodes=3,
        num_ways=4,
        num_shots=2,
        num_queries=1,
        episodes_seed=5)
    item = episodes[2]
    assert sorted(item) == ['query_data', 'support_data']
    assert [record['gt_label'] for record in item['support_data']] == \
        [0, 0, 1, 1, 2, 2, 3, 3]
    assert [record['gt_label'] for record in item['query_data']] == \
        [0, 1, 2, 3]
    support_indices = episodes.episode_support_indices[2].tolist()
    assert [record['sample_idx'] for record in item['support_data']] == \
        support_indices
    class_ids = episodes.episode_class_ids[2].tolist()
    assert [record['ori_gt_label'] for record in item['support_data']] == \
        [class_ids[position // 2] for position in range(8)]


def test_same_seed_same_episodes(records):
    first, same, other = (
        EpisodicDataset(
            records,
            num_episodes=20,
            num_ways=5,
            num_shots=1,
            num_queries=3,
            episodes_seed=seed) for seed in (7, 7, 8))
    assert torch.equal(first.episode_support_indices,
                       same.episode_support_indices)
    assert torch.equal(first.episode_query_indices, same.episode_query_indices)
    assert not torch.equal(first.episode_support_indices,
                           other.episode_support_indices)


def test_packed_items_and_collate(eight_class_root):
    episodes = DATASETS.build(
        dict(
            type='EpisodicDataset',
            dataset=dict(
                type='BaseFewShotDataset',
                data_prefix=eight_class_root,
                pipeline=PIPELINE),
            num_episodes=4,
            num_ways=2,
            num_shots=3,
            num_queries=2,
            episodes_seed=0))
    item = episodes[0]
    sample = item['support_data'][4]
    assert sample['inputs'].shape == (3, 5, 5)
    assert sample['data_samples'].gt_label.tolist() == [1]
    dataset_index = episodes.episode_support_indices[0, 4].item()
    assert sample['data_samples'].sample_idx == dataset_index
    assert sample['data_samples'].ori_gt_label == \
        episodes.episode_class_ids[0, 1].item()
    # the pixel key (10 * class + n) matches the original class
    key = sample['inputs'][2, 0, 0].item()
    assert key // 10 == sample['data_samples'].ori_gt_label

    batch = multi_pipeline_collate_fn([episodes[0], episodes[1]])
    assert sorted(batch) == ['query_data', 'support_data']
    support = batch['support_data']
    assert sorted(support) == ['data_samples', 'inputs']
    assert len(support['inputs']) == 2 * 6
    assert all(t.shape == (3, 5, 5) for t in support['inputs'])
    assert [ds.gt_label.item() for ds in support['data_samples']] == \
        [0, 0, 0, 1, 1, 1] * 2
    assert len(batch['query_data']['inputs']) == 2 * 4
    assert [ds.sample_idx for ds in batch['query_data']['data_samples']] == \
        episodes.episode_query_indices[:2].flatten().tolist()


def test_impossible_episodes_name_the_culprit(folder_dataset):
    root, _ = folder_dataset  # cat 6, dog 5, eel 5, fox 7 images
    dataset = BaseFewShotDataset(data_prefix=root)
    with pytest.raises(
            ValueError, match=r"class 'dog' \(5 images\), 'eel' \(5 images\)"):
        EpisodicDataset(
            dataset, num_episodes=2, num_ways=2, num_shots=1, num_queries=5)
    with pytest.raises(ValueError, match='num_ways=5 .* only 4 classes'):
        EpisodicDataset(
            dataset, num_episodes=2, num_ways=5, num_shots=1, num_queries=1)
    with pytest.raises(ValueError, match='`num_shots`'):
        EpisodicDataset(
            dataset, num_episodes=2, num_ways=2, num_shots=0, num_queries=1)
    # a training episode without queries has no loss
    with pytest.raises(ConfigError, match='`num_queries` must be .* >= 1'):
        EpisodicDataset(
            dataset, num_episodes=2, num_ways=2, num_shots=1, num_queries=0)
    # exactly enough images is fine
    EpisodicDataset(
        dataset,
        num_episodes=2,
        num_ways=4,
        num_shots=2,
        num_queries=3,
        episodes_seed=0)
