"""The episodes of meta testing, served as test set, support and query."""
import copy
from typing import Any, Optional

import torch
from mmpretrain.structures import DataSample

from mmfewshot.classification.registry import DATASETS
from .episodic import EpisodicDataset, check_count


class _SharedState:
    """What all views of one :class:`MetaTestDataset` see alike."""

    def __init__(self) -> None:
        self.task_id = 0
        self.feats: Optional[torch.Tensor] = None


@DATASETS.register_module()
class MetaTestDataset(EpisodicDataset):
    """Meta-test episodes in three modes over one fixed list of episodes.

    - ``'test_set'``: the whole underlying dataset, item ``i`` is its item
      ``i`` with the original label (for extracting features once).
    - ``'support'``: the ``num_ways * num_shots`` support images of the
      current task; position ``p`` has label ``p // num_shots``.
    - ``'query'``: the ``num_ways * num_queries`` query images of the
      current task; position ``p`` has label ``p // num_queries``.

    :meth:`test_set`, :meth:`support` and :meth:`query` return shallow views
    in that mode. All views of a dataset share the episodes, the task
    selected by :meth:`set_task_id` and the feature cache, so support and
    query of one task always come from the same episode. The items of
    support/query follow ``episode_support_indices[task_id]`` /
    ``episode_query_indices[task_id]``. Dataloader workers copy a view when
    they start: give support/query loaders ``num_workers=0`` or
    non-persistent workers, so each iteration sees the current task.

    After :meth:`cache_feats`, items are ``{'feats': feats[index],
    'data_samples': DataSample}`` (label as above, metainfo ``sample_idx``
    and, for support/query, ``ori_gt_label``) and no image is loaded.

    Args: as :class:`EpisodicDataset`.
    """

    MODES = ('test_set', 'support', 'query')

    def __init__(self,
                 dataset: Any,
                 num_episodes: int,
                 num_ways: int,
                 num_shots: int,
                 num_queries: int,
                 episodes_seed: Optional[int] = None) -> None:
        check_count(type(self).__name__, 'num_queries', num_queries, 1)
        super().__init__(dataset, num_episodes, num_ways, num_shots,
                         num_queries, episodes_seed)
        self.mode = 'test_set'
        self._state = _SharedState()

    # ------------------------------------------------------------ views
    def _view(self, mode: str) -> 'MetaTestDataset':
        view = copy.copy(self)
        view.mode = mode
        return view

    def test_set(self) -> 'MetaTestDataset':
        """A view serving the whole underlying dataset."""
        return self._view('test_set')

    def support(self) -> 'MetaTestDataset':
        """A view serving the support set of the current task."""
        return self._view('support')

    def query(self) -> 'MetaTestDataset':
        """A view serving the query set of the current task."""
        return self._view('query')

    @property
    def task_id(self) -> int:
        """The episode served by support and query views."""
        return self._state.task_id

    def set_task_id(self, task_id: int) -> None:
        """Select episode ``task_id`` for every view of this dataset."""
        if not 0 <= task_id < self.num_episodes:
            raise IndexError(f'MetaTestDataset: task id {task_id} is outside '
                             f'[0, {self.num_episodes - 1}]')
        self._state.task_id = int(task_id)

    # ----------------------------------------------------- feature cache
    def cache_feats(self, feats: torch.Tensor) -> None:
        """Serve ``feats[i]`` for underlying sample ``i`` instead of images.

        Args:
            feats: Features of the whole underlying dataset, shape
                ``[len(dataset), ...]``.
        """
        if not isinstance(feats, torch.Tensor) or feats.ndim == 0 or \
                feats.shape[0] != len(self.dataset):
            shape = tuple(feats.shape) if isinstance(
                feats, torch.Tensor) else type(feats).__name__
            raise ValueError(
                'MetaTestDataset.cache_feats: expected a tensor with one row '
                f'per sample of the dataset ({len(self.dataset)}), got '
                f'{shape}')
        self._state.feats = feats

    def uncache_feats(self) -> None:
        """Serve images again."""
        self._state.feats = None

    @property
    def feats_cached(self) -> bool:
        """Whether items are cached features."""
        return self._state.feats is not None

    # ------------------------------------------------------------ items
    def _mode_indices(self) -> Optional[torch.Tensor]:
        if self.mode == 'support':
            return self.episode_support_indices[self._state.task_id]
        if self.mode == 'query':
            return self.episode_query_indices[self._state.task_id]
        if self.mode == 'test_set':
            return None
        raise ValueError(f'MetaTestDataset: unknown mode {self.mode!r}; '
                         f'use one of {self.MODES}')

    def __len__(self) -> int:
        indices = self._mode_indices()
        return len(self.dataset) if indices is None else len(indices)

    def __getitem__(self, idx: int) -> Any:
        indices = self._mode_indices()
        if indices is None:
            return self._item(idx, None)
        if not 0 <= idx < len(indices):
            raise IndexError(f'MetaTestDataset ({self.mode}): index {idx} is '
                             f'outside [0, {len(indices) - 1}]')
        images_per_way = (
            self.num_shots if self.mode == 'support' else self.num_queries)
        return self._item(int(indices[idx]), idx // images_per_way)

    def _load(self, dataset_index: int) -> Any:
        feats = self._state.feats
        if feats is None:
            return super()._load(dataset_index)
        data_sample = DataSample(metainfo=dict(sample_idx=dataset_index))
        data_sample.set_gt_label(int(self._gt_labels[dataset_index]))
        return dict(feats=feats[dataset_index], data_samples=data_sample)
