"""Episodic wrapper: a fixed list of N-way K-shot tasks over a dataset."""
import logging
import os.path as osp
from typing import Any, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dist import sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Dataset

from mmfewshot.classification.registry import DATASETS
from mmfewshot.utils.errors import ConfigError, DataError
from .base import BaseFewShotDataset
from .episode_sampler import EpisodeSampler
from .utils import build_in_scope, group_by_label


def set_episode_label(item: Any, episode_label: int, ori_gt_label: int) -> Any:
    """Relabel a pipeline output with its class position in the episode.

    A packed output (``data_samples`` with ``set_gt_label``) gets
    ``gt_label = episode_label`` and metainfo ``ori_gt_label``; a raw record
    (a dict with ``gt_label``) gets the same two keys.
    """
    data_samples = item.get('data_samples') if isinstance(item, dict) else None
    if hasattr(data_samples, 'set_gt_label'):
        data_samples.set_gt_label(episode_label)
        data_samples.set_metainfo(dict(ori_gt_label=ori_gt_label))
    elif isinstance(item, dict):
        item['gt_label'] = episode_label
        item['ori_gt_label'] = ori_gt_label
    else:
        raise TypeError('an episode item must be a dict (a record or a '
                        f'packed pipeline output), got {type(item).__name__}')
    return item


def check_count(owner: str,
                name: str,
                value: int,
                minimum: int,
                reason: str = '') -> None:
    """Raise a :class:`ConfigError` naming ``name`` unless ``value`` is an
    integer of at least ``minimum`` (``reason`` is appended to it)."""
    if not isinstance(value, int) or isinstance(value, bool) or \
            value < minimum:
        raise ConfigError(f'{owner}: `{name}` must be an integer >= '
                          f'{minimum}{reason}, got {value!r}')


def _class_names(dataset: Any, num_classes: int) -> List[str]:
    names = getattr(dataset, 'CLASSES', None)
    if names is None:
        names = getattr(dataset, 'metainfo', {}).get('classes')
    return [str(name) for name in names] if names is not None else [
        str(class_id) for class_id in range(num_classes)
    ]


@DATASETS.register_module()
class EpisodicDataset(Dataset):
    """``num_episodes`` N-way K-shot episodes drawn once, up front.

    Item ``i`` is ``dict(support_data=[...], query_data=[...])`` holding the
    pipeline outputs of the ``num_ways * num_shots`` support and
    ``num_ways * num_queries`` query images of episode ``i``, class-major
    (all images of way 0 first). Their ``gt_label`` is the way (``0 ..
    num_ways - 1``); the dataset label stays in metainfo ``ori_gt_label``.

    Attributes:
        episode_class_ids: ``LongTensor [num_episodes, num_ways]``, the
            dataset class of every way.
        episode_support_indices: ``LongTensor [num_episodes, num_ways *
            num_shots]``, dataset indices of the support images.
        episode_query_indices: ``LongTensor [num_episodes, num_ways *
            num_queries]``, dataset indices of the query images.

    Args:
        dataset: The dataset, or its config (built in the ``mmfewshot_cls``
            scope). It must provide ``get_gt_labels()`` and class names.
        num_episodes: Number of episodes.
        num_ways: Classes per episode.
        num_shots: Support images per class.
        num_queries: Query images per class (at least one: the training
            loss is computed on the queries).
        episodes_seed: Seed of the episodes; ``None`` draws one (shared by
            all processes of a distributed run).
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 num_episodes: int,
                 num_ways: int,
                 num_shots: int,
                 num_queries: int,
                 episodes_seed: Optional[int] = None) -> None:
        owner = type(self).__name__
        check_count(owner, 'num_episodes', num_episodes, 1)
        check_count(owner, 'num_ways', num_ways, 1)
        check_count(owner, 'num_shots', num_shots, 1)
        check_count(owner, 'num_queries', num_queries, 1,
                    ' (the loss of an episode is computed on its queries)')
        self.dataset = build_in_scope(DATASETS, dataset)
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self.num_episodes = num_episodes
        self.num_ways = num_ways
        self.num_shots = num_shots
        self.num_queries = num_queries

        self._gt_labels = np.asarray(
            self.dataset.get_gt_labels(), dtype=np.int64)
        class_indices = self._class_indices()
        self._check_episodes_possible(class_indices)
        self.episodes_seed = (
            sync_random_seed() if episodes_seed is None else episodes_seed)
        sampler = EpisodeSampler(class_indices, self.episodes_seed)
        episodes = [
            sampler.sample(num_ways, num_shots, num_queries)
            for _ in range(num_episodes)
        ]
        self.episode_class_ids = torch.as_tensor(
            np.stack([episode[0] for episode in episodes]))
        self.episode_support_indices = torch.as_tensor(
            np.stack([episode[1] for episode in episodes]))
        self.episode_query_indices = torch.as_tensor(
            np.stack([episode[2] for episode in episodes]))

    def _class_indices(self) -> List[np.ndarray]:
        """The sample ids of every class, each image file once.

        Our datasets list every image once (see
        :meth:`BaseFewShotDataset.filter_data`); for other datasets a sample
        whose ``img_path`` repeats an earlier one is left out of the
        episodes (with a warning), so that one file is never both a support
        and a query image of an episode.
        """
        if isinstance(self.dataset, BaseFewShotDataset):
            return self.dataset.class_indices
        names = getattr(self.dataset, 'CLASSES', None)
        num_classes = len(names) if names is not None else int(
            self._gt_labels.max()) + 1
        class_indices = group_by_label(self._gt_labels, num_classes)
        if not hasattr(self.dataset, 'get_data_info'):
            return class_indices
        seen, repeats = set(), []
        for index in range(len(self.dataset)):
            path = self.dataset.get_data_info(index).get('img_path')
            if path is None:
                continue
            key = osp.normpath(osp.abspath(path))
            if key in seen:
                repeats.append(index)
            seen.add(key)
        if not repeats:
            return class_indices
        print_log(
            f'{type(self).__name__}: {len(repeats)} sample(s) of '
            f'{type(self.dataset).__name__} repeat an image listed before '
            f'(e.g. sample {repeats[0]}); episodes use each image once',
            logger='current',
            level=logging.WARNING)
        return [
            np.setdiff1d(indices, repeats, assume_unique=True)
            for indices in class_indices
        ]

    def _check_episodes_possible(self,
                                 class_indices: Sequence[np.ndarray]) -> None:
        owner = type(self).__name__
        dataset_name = type(self.dataset).__name__
        if self.num_ways > len(class_indices):
            raise ConfigError(f'{owner}: num_ways={self.num_ways} but '
                              f'{dataset_name} has only {len(class_indices)} '
                              'classes')
        needed = self.num_shots + self.num_queries
        names = _class_names(self.dataset, len(class_indices))
        too_small = [(names[class_id], len(indices))
                     for class_id, indices in enumerate(class_indices)
                     if len(indices) < needed]
        if too_small:
            listed = ', '.join(f'{name!r} ({count} images)'
                               for name, count in too_small[:5])
            more = (f' and {len(too_small) - 5} more'
                    if len(too_small) > 5 else '')
            raise DataError(
                f'{owner}: an episode needs num_shots + num_queries = '
                f'{needed} images per class, but class {listed}{more} of '
                f'{dataset_name} has fewer')

    def __len__(self) -> int:
        return self.num_episodes

    def __getitem__(self, idx: int) -> dict:
        return dict(
            support_data=self._episode_items(self.episode_support_indices[idx],
                                             self.num_shots),
            query_data=self._episode_items(self.episode_query_indices[idx],
                                           self.num_queries))

    def _episode_items(self, indices: torch.Tensor,
                       images_per_way: int) -> List[Any]:
        return [
            self._item(dataset_index, position // images_per_way)
            for position, dataset_index in enumerate(indices.tolist())
        ]

    def _item(self, dataset_index: int, episode_label: Optional[int]) -> Any:
        """Pipeline output of a dataset sample, relabelled when
        ``episode_label`` is given."""
        item = self._load(dataset_index)
        if episode_label is None:
            return item
        return set_episode_label(item, episode_label,
                                 int(self._gt_labels[dataset_index]))

    def _load(self, dataset_index: int) -> Any:
        # ``prepare_data`` because mmengine's ``__getitem__`` replaces a
        # sample whose pipeline returns None by a random other one, which
        # would put a wrong class into the episode.
        load = getattr(self.dataset, 'prepare_data', self.dataset.__getitem__)
        item = load(dataset_index)
        if item is None:
            record = self.dataset.get_data_info(dataset_index) if hasattr(
                self.dataset, 'get_data_info') else {}
            raise DataError(
                f'the pipeline of {type(self.dataset).__name__} returned None '
                f'for sample {dataset_index} '
                f'({record.get("img_path", "in memory")})')
        return item
