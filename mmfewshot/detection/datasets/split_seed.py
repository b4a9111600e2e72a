"""One key that picks the K-shot split seed of a whole config.

A few-shot fine-tuning config reads its K-shot set through benchmark
entries ``dict(method=..., setting=..., seed=...)`` in the ``ann_cfg`` of a
``FewShotVOCDefaultDataset`` / ``FewShotCocoDefaultDataset``, wherever that
dataset sits: directly in ``train_dataloader``, inside a
``QueryAwareDataset``, ``NWayKShotDataset`` or ``TwoBranchDataset``, or in a
support or model-initialisation loader. The top-level key ``split_seed``
sets the seed of every such entry at once, so ``--cfg-options
split_seed=3`` runs any fine-tuning config, of any detector, on the split
drawn with seed 3 (``<ann_root>/seed3/``, as written by
``tools/data/detection/prepare_few_shot_split.py``). ``split_seed=None``
(the default of the detection runtime) keeps each entry's own ``seed``;
an entry without one reads the published benchmark split.
"""
from typing import Any, Dict, List, Optional, Tuple, Union

from mmengine.config import Config

from mmfewshot.utils.errors import ConfigError
from .base import _SETTING_PATTERN

#: The top-level config key that selects the split seed of a fine-tuning
#: config (``--cfg-options split_seed=s``).
SPLIT_SEED_KEY = 'split_seed'


def _is_benchmark_entry(entry: Any) -> bool:
    return (isinstance(entry, dict) and 'type' not in entry
            and 'method' in entry and 'setting' in entry)


def benchmark_entries(cfg: Any, path: str = '') -> List[Tuple[str, dict]]:
    """Every benchmark entry (``dict(method=..., setting=...)`` without a
    ``type``) of every ``ann_cfg`` list nested in ``cfg``.

    Args:
        cfg: A config, or any part of one.
        path: The dotted key of ``cfg`` in its config (for the paths).

    Returns:
        ``(dotted key, entry)`` pairs, in config order; the entries are the
        config's own dicts (changing them changes the config).
    """
    found: List[Tuple[str, dict]] = []
    if isinstance(cfg, Config):
        return benchmark_entries(cfg._cfg_dict, path)
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            child = f'{path}.{key}' if path else str(key)
            if key == 'ann_cfg' and isinstance(value, (list, tuple)):
                found.extend((f'{child}.{index}', entry)
                             for index, entry in enumerate(value)
                             if _is_benchmark_entry(entry))
            else:
                found.extend(benchmark_entries(value, child))
    elif isinstance(cfg, (list, tuple)):
        for index, value in enumerate(cfg):
            found.extend(
                benchmark_entries(value,
                                  f'{path}.{index}' if path else str(index)))
    return found


def apply_split_seed(cfg: Any) -> List[str]:
    """Give every benchmark entry of ``cfg`` the seed ``cfg.split_seed``.

    Args:
        cfg: A loaded config (changed in place).

    Returns:
        The dotted keys of the entries changed; empty when ``split_seed``
        is None or missing.

    Raises:
        ConfigError: If ``split_seed`` is not a non-negative int, or the
            config holds no benchmark entry to apply it to (e.g. a base
            training config, or a fine-tuning config that names its K-shot
            set by file).
    """
    seed = cfg.get(SPLIT_SEED_KEY)
    if seed is None:
        return []
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f'{SPLIT_SEED_KEY}={seed!r}: expected None or a '
                          'non-negative int')
    entries = benchmark_entries(cfg)
    if not entries:
        raise ConfigError(
            f'{SPLIT_SEED_KEY}={seed}: the config reads no K-shot split '
            "files (no ann_cfg entry with 'method' and 'setting'), so it "
            'has no split seed to choose; only few-shot fine-tuning configs '
            'of the benchmark datasets take one')
    for _, entry in entries:
        entry['seed'] = seed
    return [path for path, _ in entries]


def _single(values: List[Any]) -> Union[None, Any, List[Any]]:
    """The one distinct value, None for none, else the sorted list."""
    distinct = sorted(set(values), key=lambda v: (v is None, v or 0))
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else distinct


def few_shot_setting(cfg: Any) -> Dict[str, Any]:
    """The split seed and the number of shots of a config's K-shot set.

    Read from the benchmark entries (after :func:`apply_split_seed`); the
    shots of a config that names its K-shot set otherwise are its
    datasets' ``num_novel_shots``.

    Args:
        cfg: A loaded config.

    Returns:
        ``dict(split_seed=..., num_shots=...)``: each an int, None when the
        config has none (the published split has seed None), or a sorted
        list when its datasets disagree.
    """
    entries = [entry for _, entry in benchmark_entries(cfg)]
    shots: List[Optional[int]] = []
    for entry in entries:
        match = _SETTING_PATTERN.match(str(entry.get('setting')))
        shots.append(int(match.group(2)) if match else None)
    if not entries:
        shots = [
            dataset['num_novel_shots']
            for dataset in _datasets(cfg.get('train_dataloader'))
            if dataset.get('num_novel_shots') is not None
        ]
    return dict(
        split_seed=_single([entry.get('seed') for entry in entries]),
        num_shots=_single(shots))


def _datasets(cfg: Any) -> List[dict]:
    """Every dict with a ``type`` nested in ``cfg``."""
    found = []
    if isinstance(cfg, dict):
        if 'type' in cfg:
            found.append(cfg)
        for value in cfg.values():
            found.extend(_datasets(value))
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            found.extend(_datasets(value))
    return found
