"""Training batches as a stream fixed by seeds, which resume can skip into.

Iteration-based training consumes one batch per iteration from a dataloader
that is restarted whenever it runs out. Which samples a batch holds is fixed
by the sampler (seeded, and told the pass number through ``set_epoch``);
what random transforms do to them depends, in a plain dataloader, on the
random state of the worker process that happens to load the batch.

:class:`BatchStream` wraps a dataloader so that batch ``n`` of the stream is
the same whatever happened before it: the randomness of loading batch ``n``
is seeded from ``(seed, rank, stream id, n)`` (and the random state of the
process is restored afterwards). Then skipping ``n`` batches needs only the
sampler: :meth:`BatchStream.fast_forward` replays the sampler's indices,
pass by pass, without loading a sample, and the batches after it equal those
of a run that loaded every batch.
"""
import contextlib
import itertools
import random
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.dist import get_rank
from torch.utils.data import DataLoader, Dataset, IterableDataset

from .random_state import preserved_random_state


@contextlib.contextmanager
def seeded_randomness(seed: int) -> Iterator[None]:
    """Seed ``random``, numpy's global generator and torch's CPU generator
    for the block, and give them back their previous state afterwards."""
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


class _SeededBatch(list):
    """The sample indices of one batch, with the seed its loading uses."""

    def __init__(self, indices: List[int], seed: int) -> None:
        super().__init__(indices)
        self.seed = seed


class _SeededFetch(Dataset):
    """Loads a :class:`_SeededBatch` under its seed (dataloader side)."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index]

    def __getitems__(self, batch: _SeededBatch) -> List[Any]:
        with seeded_randomness(batch.seed):
            return [self.dataset[index] for index in batch]


class _BatchSource:
    """The batch sampler of the loading dataloader: it hands out the
    batches of the stream's current pass, tagged with their seeds."""

    def __init__(self, stream: 'BatchStream') -> None:
        self.stream = stream

    def __iter__(self) -> Iterator[_SeededBatch]:
        return self.stream._tagged_batches()

    def __len__(self) -> int:
        return len(self.stream.loader.batch_sampler)


class BatchStream:
    """A dataloader whose batches are fixed by their position in training.

    It stands in for ``loader`` wherever the training loop uses it
    (iteration, ``len``, ``dataset``, ``sampler``, ``batch_size`` and the
    other attributes of the loader). Every iteration over it is one pass
    over the loader's batch sampler; before pass ``p`` it calls
    ``sampler.set_epoch(p)`` itself, as mmengine's loops do between passes.
    Samples are loaded by a second dataloader with the loader's settings
    (workers, collate function, pinning, ...) whose batch ``n`` (counted
    over all passes) is loaded under the seed derived from
    ``(seed, rank, stream_id, n)``.

    Args:
        loader: A map-style dataloader with a batch sampler.
        seed: The seed of the stream; usually the runner's seed, set later
            with :meth:`set_seed`.
        stream_id: Distinguishes several streams of one run (e.g. the two
            loaders of a paired dataloader).
    """

    def __init__(self,
                 loader: DataLoader,
                 seed: Optional[int] = None,
                 stream_id: int = 0) -> None:
        if not is_streamable(loader):
            raise TypeError('BatchStream needs a map-style DataLoader with a '
                            f'batch sampler, got {type(loader).__name__}')
        self.loader = loader
        self.stream_id = stream_id
        self.seed = 0 if seed is None else int(seed)
        self._rank = get_rank()
        self._passes = 0
        self._position = 0
        self._pending: Optional[Iterator[List[int]]] = None
        self._current: Optional[Iterator[List[int]]] = None
        self._pass_start = 0
        self._loading: Optional[DataLoader] = None

    # ------------------------------------------------------ loader facade
    def __getattr__(self, name: str) -> Any:
        if name == 'loader':
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __len__(self) -> int:
        return len(self.loader)

    @property
    def dataset(self) -> Dataset:
        """The loader's dataset."""
        return self.loader.dataset

    @property
    def sampler(self) -> Any:
        """The sampler whose epoch is the pass number."""
        sampler = self.loader.sampler
        if not hasattr(sampler, 'set_epoch'):
            sampler = getattr(self.loader.batch_sampler, 'sampler', sampler)
        return sampler

    @property
    def position(self) -> int:
        """Batches yielded (or skipped) so far."""
        return self._position

    # ------------------------------------------------------------ state
    def set_seed(self, seed: int) -> None:
        """Seed the stream (batches yielded before keep their seeds)."""
        self.seed = int(seed)
        self._rank = get_rank()

    def batch_seed(self, position: int) -> int:
        """The seed loading batch ``position`` uses."""
        entropy = [self.seed % 2**63, self._rank, self.stream_id, position]
        return int(np.random.SeedSequence(entropy).generate_state(1)[0])

    def _start_pass(self) -> Iterator[List[int]]:
        sampler = self.sampler
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self._passes)
        self._passes += 1
        return iter(self.loader.batch_sampler)

    def fast_forward(self, num_batches: int) -> bool:
        """Go to batch ``num_batches`` of the stream, from its start,
        replaying the sampler without loading a sample.

        Args:
            num_batches: Batches to skip.

        Returns:
            True (a stream can always be fast-forwarded).
        """
        self.replay(num_batches)
        return True

    def replay(self, num_batches: int) -> Tuple[List[int], bool]:
        """Replay the sampler to batch ``num_batches`` of the stream (see
        :meth:`fast_forward`) and say where that is.

        Args:
            num_batches: Batches to skip.

        Returns:
            The number of batches skipped in every pass (whole passes, then
            the part of the current one) and whether the next batch
            continues that last pass (False: the next iteration over the
            stream starts a new pass).
        """
        self._passes = 0
        self._position = 0
        self._pending = None
        lengths: List[int] = []
        while self._position < num_batches:
            batches = self._start_pass()
            skipped = sum(
                1 for _ in itertools.islice(batches, num_batches -
                                            self._position))
            if not skipped:
                raise RuntimeError(
                    f'{type(self.dataset).__name__}: a pass over the '
                    'sampler yields no batch, nothing to train on')
            lengths.append(skipped)
            self._position += skipped
        if lengths:
            following = next(batches, None)
            if following is not None:
                self._pending = itertools.chain([following], batches)
        return lengths, self._pending is not None

    # ---------------------------------------------------------- iterate
    def _tagged_batches(self) -> Iterator[_SeededBatch]:
        for offset, indices in enumerate(self._current):
            yield _SeededBatch(indices,
                               self.batch_seed(self._pass_start + offset))

    def _loading_loader(self) -> DataLoader:
        if self._loading is None:
            loader = self.loader
            self._loading = DataLoader(
                _SeededFetch(loader.dataset),
                batch_sampler=_BatchSource(self),
                num_workers=loader.num_workers,
                collate_fn=loader.collate_fn,
                pin_memory=loader.pin_memory,
                timeout=loader.timeout,
                worker_init_fn=loader.worker_init_fn,
                multiprocessing_context=loader.multiprocessing_context,
                generator=loader.generator,
                prefetch_factor=loader.prefetch_factor,
                persistent_workers=loader.persistent_workers,
                pin_memory_device=loader.pin_memory_device,
                in_order=loader.in_order)
        return self._loading

    def __iter__(self) -> Iterator[Any]:
        """One pass: the rest of a pass begun by :meth:`fast_forward`, else
        a new pass (begun when the first batch is asked for)."""
        if self._pending is not None:
            self._current, self._pending = self._pending, None
        else:
            self._current = self._start_pass()
        self._pass_start = self._position
        # a dataloader draws its workers' base seed from torch's global
        # generator when a pass starts; the draw must not move the random
        # state of training, or a run resumed mid-pass (whose pass starts
        # at another iteration) would draw differently afterwards
        with preserved_random_state():
            batches = iter(self._loading_loader())
        for batch in batches:
            self._position += 1
            yield batch


def is_streamable(loader: Any) -> bool:
    """Whether ``loader`` can be wrapped by :class:`BatchStream`."""
    return (isinstance(loader, DataLoader)
            and not isinstance(loader.dataset, IterableDataset)
            and loader.batch_sampler is not None)
