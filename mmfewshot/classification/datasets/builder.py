"""Dataloaders for few-shot classification training and meta testing."""
from typing import Optional, Tuple

from mmengine.dataset import DefaultSampler
from mmengine.dist import get_dist_info
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmfewshot.classification.registry import SCOPE
from mmfewshot.utils import multi_pipeline_collate_fn
from mmfewshot.utils.errors import ConfigError, ConfigKeyError
from .meta_test import MetaTestDataset

# What a meta-test section (``test_set``/``support``/``query``) may hold:
# DataLoader arguments, and keys that others read (``support.train``, the
# fine-tuning settings of fine-tune based heads).
_LOADER_KEYS = ('batch_size', 'num_workers', 'pin_memory', 'drop_last',
                'timeout', 'persistent_workers', 'prefetch_factor',
                'pin_memory_device')
_KEYS_READ_ELSEWHERE = ('train', )


def build_dataloader(cfg: dict, seed: Optional[int] = None) -> DataLoader:
    """Build a training dataloader through mmengine's runner.

    ``cfg`` is an mmengine dataloader dict (``dataset``, ``batch_size``,
    ``num_workers``, ``sampler``, ...) plus an optional ``infinite`` flag.
    Filled in when missing:

    - ``collate_fn=dict(type='multi_pipeline_collate_fn')``: it collates
      the nested ``support_data``/``query_data`` lists of episodic datasets
      and treats plain samples as mmengine's ``pseudo_collate`` does.
    - ``sampler``: ``InfiniteSampler`` (``DistributedInfiniteSampler`` in a
      distributed run) when ``infinite=True``, else
      ``DefaultSampler(shuffle=True)``.

    Everything is built in the ``mmfewshot_cls`` scope by
    ``Runner.build_dataloader``; with ``seed`` the sampler is seeded and
    workers are seeded by mmengine's ``worker_init_fn``. A dataset given as
    an object is deep-copied by the runner; give its config to avoid that.

    Args:
        cfg: The dataloader config.
        seed: Random seed of sampler and workers.

    Returns:
        The dataloader.
    """
    cfg = dict(cfg)
    if 'dataset' not in cfg:
        raise ConfigKeyError('build_dataloader: the dataloader config has no '
                             '`dataset`')
    if cfg.pop('infinite', False):
        if 'sampler' in cfg:
            raise ConfigError('build_dataloader: give either `infinite=True` '
                              'or a `sampler`, not both')
        _, world_size = get_dist_info()
        sampler_type = ('DistributedInfiniteSampler'
                        if world_size > 1 else 'InfiniteSampler')
        cfg['sampler'] = dict(type=sampler_type, shuffle=True)
    cfg.setdefault('sampler', dict(type='DefaultSampler', shuffle=True))
    cfg.setdefault('collate_fn', dict(type='multi_pipeline_collate_fn'))
    with DefaultScope.overwrite_default_scope(SCOPE):
        return Runner.build_dataloader(cfg, seed=seed)


def _loader_kwargs(meta_test_cfg: dict, section: str, batch_size: int) -> dict:
    kwargs = dict(batch_size=batch_size, num_workers=0)
    for key, value in (meta_test_cfg.get(section) or {}).items():
        if key in _LOADER_KEYS:
            kwargs[key] = value
        elif key not in _KEYS_READ_ELSEWHERE:
            raise ConfigError(
                f'meta_test_cfg.{section}.{key} is not a setting of the '
                f'{section} dataloader; use one of {list(_LOADER_KEYS)} '
                '(sampler, shuffle and collate_fn are fixed by the meta test)')
    return kwargs


def build_meta_test_dataloaders(
        dataset: MetaTestDataset,
        meta_test_cfg: dict) -> Tuple[DataLoader, DataLoader, DataLoader]:
    """The three dataloaders of a meta test over one :class:`MetaTestDataset`.

    - test set loader: the whole dataset in order, sharded between
      processes by mmengine's ``DefaultSampler(shuffle=False)`` (it pads the
      last shard with repeated samples). Items keep ``sample_idx`` in their
      metainfo, so the meta-test loop can gather the features of all ranks
      and place each at its index (repeats overwrite themselves).
    - support and query loaders: the current task (see
      :meth:`MetaTestDataset.set_task_id`) in class-major order, not
      shuffled and not sharded (every process runs whole tasks).

    All three use ``multi_pipeline_collate_fn`` and share the dataset's
    task id and feature cache.

    Args:
        dataset: The meta-test episodes.
        meta_test_cfg: Optional sections ``test_set``, ``support`` and
            ``query`` of DataLoader arguments (``batch_size``,
            ``num_workers``, ``pin_memory``, ``drop_last``, ...; other keys
            of the meta test, like ``support.train``, are skipped).
            Defaults: ``batch_size`` 16 for the test set, a whole support /
            query set otherwise; ``num_workers=0``. Support and query
            loaders refuse ``persistent_workers=True`` (workers would keep a
            stale task).

    Returns:
        ``(test_set_loader, support_loader, query_loader)``.
    """
    if not isinstance(dataset, MetaTestDataset):
        raise TypeError('build_meta_test_dataloaders: expected a '
                        f'MetaTestDataset, got {type(dataset).__name__}')
    test_set_kwargs = _loader_kwargs(meta_test_cfg, 'test_set', 16)
    support_kwargs = _loader_kwargs(meta_test_cfg, 'support',
                                    dataset.num_ways * dataset.num_shots)
    query_kwargs = _loader_kwargs(meta_test_cfg, 'query',
                                  dataset.num_ways * dataset.num_queries)
    for section, kwargs in (('support', support_kwargs), ('query',
                                                          query_kwargs)):
        if kwargs.get('persistent_workers'):
            raise ConfigError(
                f'meta_test_cfg.{section}.persistent_workers must be False: '
                'persistent workers would not see the task changing')

    test_set = dataset.test_set()
    test_set_loader = DataLoader(
        test_set,
        sampler=DefaultSampler(test_set, shuffle=False),
        collate_fn=multi_pipeline_collate_fn,
        **test_set_kwargs)
    support_loader = DataLoader(
        dataset.support(),
        shuffle=False,
        collate_fn=multi_pipeline_collate_fn,
        **support_kwargs)
    query_loader = DataLoader(
        dataset.query(),
        shuffle=False,
        collate_fn=multi_pipeline_collate_fn,
        **query_kwargs)
    return test_set_loader, support_loader, query_loader
