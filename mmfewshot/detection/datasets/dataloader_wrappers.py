"""Dataloaders that yield two batches per iteration, and their builders.

mmengine builds a dataloader from a config dict; the paired dataloaders need
two. The builders here take the ``train_dataloader`` config of a few-shot
detection config and return an object the runner's train loops use like a
dataloader (iteration, ``len``, ``dataset.metainfo``, ``sampler.set_epoch``)::

    from mmfewshot.detection.datasets import build_fewshot_dataloader

    cfg.train_dataloader = build_fewshot_dataloader(
        cfg.train_dataloader, seed=cfg.randomness.get('seed'))
    runner = Runner.from_cfg(cfg)

:func:`build_fewshot_dataloader` picks the builder by the dataset type and
returns an ordinary ``DataLoader`` for other datasets.
"""
import copy
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from mmengine.dataset import pseudo_collate
from mmengine.dist import get_world_size
from mmengine.runner import Runner
from torch.utils.data import DataLoader, Dataset

from mmfewshot.detection.registry import DATA_SAMPLERS, DATASETS
from mmfewshot.utils.batch_stream import BatchStream, is_streamable
from mmfewshot.utils.errors import ConfigError, ConfigKeyError, ConfigTypeError
from .dataset_wrappers import NWayKShotDataset, TwoBranchDataset


def collate_support_batches(batch: Sequence[List[Any]]) -> Dict[str, list]:
    """Collate support-mode items of :class:`NWayKShotDataset`.

    Args:
        batch: Support batches, each a list of instance pipeline outputs.

    Returns:
        ``{'inputs': [...], 'data_samples': [...]}`` over the instances of
        all batches, in order (tensors are not stacked).
    """
    return pseudo_collate([instance for item in batch for instance in item])


_EXHAUSTED = object()


def _as_stream(loader: Any, stream_id: int) -> Any:
    """``loader`` as a :class:`~mmfewshot.utils.BatchStream` when it can be
    one, else as it is."""
    if isinstance(loader, BatchStream) or not is_streamable(loader):
        return loader
    return BatchStream(loader, stream_id=stream_id)


class _PairedDataloader:
    """Iterates a leading dataloader and adds a batch of a second one.

    The leading dataloader defines ``len``, ``dataset`` (whose
    ``metainfo`` the runner reads) and ``sampler`` (whose epoch the
    runner sets). Both loaders are kept as
    :class:`~mmfewshot.utils.BatchStream`, so that a resumed run can skip
    to its iteration without loading data (:meth:`fast_forward`).
    """

    def __init__(self, leading: DataLoader, second: DataLoader) -> None:
        self._leading = _as_stream(leading, 0)
        self._second = _as_stream(second, 1)

    def set_seed(self, seed: int) -> None:
        """Seed the loading of both loaders (see ``BatchStream``)."""
        for stream in (self._leading, self._second):
            if isinstance(stream, BatchStream):
                stream.set_seed(seed)

    def _can_fast_forward(self) -> bool:
        return all(
            isinstance(stream, BatchStream)
            for stream in (self._leading, self._second))

    @property
    def dataset(self) -> Dataset:
        """The leading dataloader's dataset."""
        return self._leading.dataset

    @property
    def sampler(self) -> Any:
        """The leading dataloader's sampler."""
        return self._leading.sampler

    @property
    def batch_size(self) -> Optional[int]:
        """The leading dataloader's batch size."""
        return self._leading.batch_size

    def __len__(self) -> int:
        return len(self._leading)


class NWayKShotDataloader(_PairedDataloader):
    """Yields ``{'query_data': <query batch>, 'support_data': <support
    batch>}`` per iteration.

    Every query batch is paired with the next batch of
    ``support_data_loader``. A pass over the support loader starts with
    every pass over the query loader and whenever the support loader runs
    out; each pass after the first reshuffles the support batches
    (``dataset.shuffle_support()``) before its workers start, so the
    support loader must not keep persistent workers.

    Args:
        query_data_loader: Loader of a query-mode :class:`NWayKShotDataset`.
        support_data_loader: Loader of a support-mode copy of it.
    """

    def __init__(self, query_data_loader: DataLoader,
                 support_data_loader: DataLoader) -> None:
        if not hasattr(support_data_loader.dataset, 'shuffle_support'):
            raise ConfigTypeError(
                'support_data_loader must load a support-mode '
                'NWayKShotDataset, got a '
                f'{type(support_data_loader.dataset).__name__}')
        if getattr(support_data_loader, 'persistent_workers', False):
            raise ConfigError(
                'the support dataloader must not use persistent_workers: '
                'its workers would keep the support batches of the first '
                'pass')
        super().__init__(query_data_loader, support_data_loader)
        self.query_data_loader = self._leading
        self.support_data_loader = self._second
        self._num_support_passes = 0
        self._support_continues = False

    def _support_pass(self) -> Iterator[Any]:
        if self._num_support_passes:
            self.support_data_loader.dataset.shuffle_support()
        self._num_support_passes += 1
        return iter(self.support_data_loader)

    def fast_forward(self, num_batches: int) -> bool:
        """Skip to iteration ``num_batches`` of a freshly built loader
        without loading data: the sampler indices of both loaders are
        replayed and the support batches redrawn as often as the skipped
        passes redrew them.

        Exact when the support loader has as many batches as the query
        loader (the builder's default); otherwise nothing is done.

        Returns:
            Whether the loader was fast-forwarded.
        """
        if not self._can_fast_forward() or len(
                self.support_data_loader) != len(self.query_data_loader):
            return False
        lengths, mid_pass = self.query_data_loader.replay(num_batches)
        self.support_data_loader.replay(num_batches)
        for _ in range(len(lengths) - 1):
            self.support_data_loader.dataset.shuffle_support()
        self._num_support_passes = len(lengths)
        self._support_continues = mid_pass
        return True

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        if self._support_continues:
            # the rest of a support pass a fast-forward stopped in
            self._support_continues = False
            support_batches = iter(self.support_data_loader)
        else:
            support_batches = self._support_pass()
        for query_batch in self.query_data_loader:
            try:
                support_batch = next(support_batches)
            except StopIteration:
                support_batches = self._support_pass()
                support_batch = next(support_batches)
            yield dict(query_data=query_batch, support_data=support_batch)


class TwoBranchDataloader(_PairedDataloader):
    """Yields ``{'main_data': <main batch>, 'auxiliary_data': <auxiliary
    batch>}`` per iteration.

    The auxiliary loader is iterated independently of the main loader: one
    iterator is kept across passes over the main loader (epochs) and is
    restarted only when the auxiliary loader runs out, which an infinite
    sampler never does.

    Args:
        main_data_loader: Loader of a main-mode :class:`TwoBranchDataset`.
        auxiliary_data_loader: Loader of an auxiliary-mode copy of it.
    """

    def __init__(self, main_data_loader: DataLoader,
                 auxiliary_data_loader: DataLoader) -> None:
        super().__init__(main_data_loader, auxiliary_data_loader)
        self.main_data_loader = self._leading
        self.auxiliary_data_loader = self._second
        self._auxiliary_batches: Optional[Iterator[Any]] = None

    def fast_forward(self, num_batches: int) -> bool:
        """Skip to iteration ``num_batches`` without loading data: both
        loaders replay their sampler indices (one auxiliary batch per main
        batch, passes restarted where they ran out).

        Returns:
            Whether the loader was fast-forwarded (False when a loader is
            not a map-style dataloader).
        """
        if not self._can_fast_forward():
            return False
        self.main_data_loader.replay(num_batches)
        self.auxiliary_data_loader.replay(num_batches)
        self._auxiliary_batches = None
        return True

    def _next_auxiliary(self) -> Any:
        if self._auxiliary_batches is not None:
            batch = next(self._auxiliary_batches, _EXHAUSTED)
            if batch is not _EXHAUSTED:
                return batch
        # start the next pass over the auxiliary branch
        self._auxiliary_batches = iter(self.auxiliary_data_loader)
        return next(self._auxiliary_batches)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        for main_batch in self.main_data_loader:
            yield dict(
                main_data=main_batch, auxiliary_data=self._next_auxiliary())


def _build_wrapper(dataset: Union[dict, Dataset], wrapper: type) -> Dataset:
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
    if not isinstance(dataset, wrapper):
        raise ConfigTypeError(
            f'the dataloader config needs a {wrapper.__name__} '
            f'dataset, got a {type(dataset).__name__}')
    return dataset


def _build_loader(cfg: dict, dataset: Dataset, seed: Optional[int],
                  name: str) -> DataLoader:
    """Build a dataloader of ``dataset`` from a dataloader config.

    The sampler is built in the detection registry, so ``InfiniteSampler``
    and ``DistributedInfiniteSampler`` are available by name.
    """
    cfg = dict(cfg, dataset=dataset)
    if 'sampler' not in cfg:
        raise ConfigKeyError(
            f'{name} needs a sampler, e.g. '
            "sampler=dict(type='DefaultSampler', shuffle=True)")
    if isinstance(cfg['sampler'], dict):
        cfg['sampler'] = DATA_SAMPLERS.build(
            cfg['sampler'], default_args=dict(dataset=dataset, seed=seed))
    return Runner.build_dataloader(cfg, seed=seed)


def _build_leading_loader(cfg: dict, second_key: str, second_defaults: dict,
                          wrapper: type,
                          seed: Optional[int]) -> 'tuple[DataLoader, dict]':
    """Build the wrapper dataset and the leading loader of a paired config.

    Returns:
        The leading loader and the second loader's config: ``cfg[second_key]``
        over ``second_defaults``.
    """
    cfg = copy.deepcopy(dict(cfg))
    second_cfg = dict(second_defaults)
    second_cfg.update(cfg.pop(second_key, None) or {})
    if 'dataset' not in cfg:
        raise ConfigKeyError('the dataloader config has no `dataset`')
    dataset = _build_wrapper(cfg.pop('dataset'), wrapper)
    return _build_loader(cfg, dataset, seed, 'train_dataloader'), second_cfg


def build_nway_kshot_dataloader(cfg: dict,
                                seed: Optional[int] = None
                                ) -> NWayKShotDataloader:
    """Build the query and support loaders of an :class:`NWayKShotDataset`.

    Config shape (the ``train_dataloader`` of a Meta R-CNN config)::

        train_dataloader = dict(
            batch_size=4, num_workers=2, persistent_workers=True,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='NWayKShotDataset',
                num_support_ways=15, num_support_shots=1,
                query_dataset=dict(
                    type='FewShotVOCDataset', ...,
                    multi_pipelines=dict(query=[...], support=[...]))),
            # optional, these are the defaults:
            support_dataloader=dict(
                batch_size=1, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False)))

    Everything but ``support_dataloader`` configures the query loader as
    for ``Runner.build_dataloader``. The support loader serves a support-mode
    copy with ``len(query loader) * world size`` support batches, so every
    process gets one support batch per query batch; ``batch_size`` there
    counts support batches (of N x K instances each) per iteration. Its
    items are collated by :func:`collate_support_batches` and its workers
    are never persistent (:class:`NWayKShotDataloader` explains why).

    A dataset config without a ``seed`` gets ``seed``: every process must
    draw the same support batches, and numpy's global state, the dataset's
    fallback, is not seeded yet when the dataloader is built before the
    runner.

    Args:
        cfg: The dataloader config described above.
        seed: Seed of the samplers, the dataloader workers and the support
            draws (the runner's ``randomness.seed``).

    Returns:
        The paired dataloader.
    """
    dataset_cfg = cfg.get('dataset')
    if isinstance(dataset_cfg, dict) and dataset_cfg.get('seed') is None:
        dataset_type = dataset_cfg.get('type')
        if isinstance(dataset_type, str):
            dataset_type = DATASETS.get(dataset_type)
        if isinstance(dataset_type, type) and issubclass(
                dataset_type, NWayKShotDataset):
            cfg = dict(cfg, dataset=dict(dataset_cfg, seed=seed))
    query_loader, support_cfg = _build_leading_loader(
        cfg, 'support_dataloader',
        dict(
            batch_size=1,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=collate_support_batches), NWayKShotDataset, seed)
    if support_cfg.get('persistent_workers'):
        raise ConfigError('support_dataloader.persistent_workers must be '
                          'False: the support batches change every pass')
    support_cfg['persistent_workers'] = False
    support_dataset = copy.copy(query_loader.dataset)
    support_dataset.convert_query_to_support(
        len(query_loader) * get_world_size())
    support_loader = _build_loader(support_cfg, support_dataset, seed,
                                   'support_dataloader')
    return NWayKShotDataloader(query_loader, support_loader)


def build_two_branch_dataloader(cfg: dict,
                                seed: Optional[int] = None
                                ) -> TwoBranchDataloader:
    """Build the main and auxiliary loaders of a :class:`TwoBranchDataset`.

    Config shape (the ``train_dataloader`` of an MPSR config)::

        train_dataloader = dict(
            batch_size=2, num_workers=2,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='TwoBranchDataset', reweight_dataset=True,
                main_dataset=dict(type='FewShotVOCDataset', ...,
                                  pipeline=[...]),
                auxiliary_dataset=dict(type='FewShotVOCDataset', ...,
                                       instance_wise=True,
                                       pipeline=[...])),
            # optional, these are the defaults:
            auxiliary_dataloader=dict(
                batch_size=1, num_workers=0,
                sampler=dict(type='DistributedInfiniteSampler',
                             shuffle=True)))

    Everything but ``auxiliary_dataloader`` configures the main loader as
    for ``Runner.build_dataloader``; the auxiliary loader serves an
    auxiliary-mode copy of the dataset.

    Args:
        cfg: The dataloader config described above.
        seed: Seed of the samplers and dataloader workers (the runner's
            ``randomness.seed``).

    Returns:
        The paired dataloader.
    """
    main_loader, auxiliary_cfg = _build_leading_loader(
        cfg, 'auxiliary_dataloader',
        dict(
            batch_size=1,
            num_workers=0,
            sampler=dict(type='DistributedInfiniteSampler', shuffle=True)),
        TwoBranchDataset, seed)
    auxiliary_dataset = copy.copy(main_loader.dataset)
    auxiliary_dataset.convert_main_to_auxiliary()
    auxiliary_loader = _build_loader(auxiliary_cfg, auxiliary_dataset, seed,
                                     'auxiliary_dataloader')
    return TwoBranchDataloader(main_loader, auxiliary_loader)


def build_fewshot_dataloader(
    cfg: Union[dict, DataLoader, _PairedDataloader],
    seed: Optional[int] = None
) -> Union[DataLoader, NWayKShotDataloader, TwoBranchDataloader]:
    """Build the dataloader a detection dataloader config asks for.

    An :class:`NWayKShotDataset` gets :func:`build_nway_kshot_dataloader`,
    a :class:`TwoBranchDataset` :func:`build_two_branch_dataloader`, any
    other dataset mmengine's ``Runner.build_dataloader``. Built dataloaders
    are returned as they are.

    Args:
        cfg: A dataloader config (``train_dataloader`` etc.) or a dataloader.
        seed: Seed of the samplers and dataloader workers.

    Returns:
        The dataloader; a paired one keeps ``cfg`` as its ``config``.
    """
    if not isinstance(cfg, dict):
        return cfg
    config = copy.deepcopy(dict(cfg))
    cfg = copy.deepcopy(config)
    if 'dataset' not in cfg:
        raise ConfigKeyError('the dataloader config has no `dataset`')
    if isinstance(cfg['dataset'], dict):
        cfg['dataset'] = DATASETS.build(cfg['dataset'])
    if isinstance(cfg['dataset'], NWayKShotDataset):
        loader = build_nway_kshot_dataloader(cfg, seed)
    elif isinstance(cfg['dataset'], TwoBranchDataset):
        loader = build_two_branch_dataloader(cfg, seed)
    else:
        return _build_loader(cfg, cfg.pop('dataset'), seed, 'the dataloader')
    loader.config = config
    return loader
