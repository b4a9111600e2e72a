import itertools
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler


class DistributedInfiniteSampler(Sampler):
    """An endless stream of dataset indices, split between processes.

    Indices are drawn epoch after epoch without end (a fresh permutation per
    epoch when ``shuffle=True``); process ``rank`` takes every
    ``num_replicas``-th index of the stream, so the shards of different
    processes are disjoint within each epoch and together cover it. The
    stream depends only on ``seed``: the same seed gives the same order.

    It is meant for iteration-based training (``IterBasedTrainLoop``),
    e.g. ``sampler=dict(type='DistributedInfiniteSampler', shuffle=True)``
    in a dataloader config.

    Args:
        dataset: The dataset to sample from.
        shuffle: Whether to shuffle the indices of every epoch.
        seed: Random seed. ``None`` draws a seed shared by all processes.
        num_replicas: Number of processes; defaults to the world size.
        rank: This process' rank; defaults to the current rank.
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 num_replicas: Optional[int] = None,
                 rank: Optional[int] = None) -> None:
        dist_rank, dist_world_size = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.num_replicas = (
            dist_world_size if num_replicas is None else num_replicas)
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f'rank {self.rank} is outside [0, '
                             f'{self.num_replicas - 1}]')
        if len(dataset) == 0:
            name = type(dataset).__name__
            raise ValueError(f'cannot sample from the empty dataset {name}')
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.size = len(dataset)

    def _epoch_indices(self) -> Iterator[int]:
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        while True:
            if self.shuffle:
                yield from torch.randperm(
                    self.size, generator=generator).tolist()
            else:
                yield from range(self.size)

    def __iter__(self) -> Iterator[int]:
        yield from itertools.islice(self._epoch_indices(), self.rank, None,
                                    self.num_replicas)

    def __len__(self) -> int:
        """Indices this process takes from one pass over the dataset."""
        return (self.size - self.rank + self.num_replicas - 1) // \
            self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Present for loop compatibility; the stream is already endless."""


class InfiniteSampler(DistributedInfiniteSampler):
    """An endless stream of dataset indices for a single process.

    Args:
        dataset: The dataset to sample from.
        shuffle: Whether to shuffle the indices of every epoch.
        seed: Random seed; ``None`` draws one.
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        super().__init__(
            dataset, shuffle=shuffle, seed=seed, num_replicas=1, rank=0)
