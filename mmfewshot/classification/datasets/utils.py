"""Small helpers shared by the classification datasets."""
import os
import os.path as osp
from typing import Any, List, Optional, Sequence, Union

import numpy as np
from mmengine.registry import DefaultScope, Registry

from mmfewshot.classification.registry import SCOPE
from mmfewshot.utils.errors import ConfigError


def build_in_scope(registry: Registry,
                   cfg: Any,
                   default_args: Optional[dict] = None) -> Any:
    """Build ``cfg`` from ``registry`` with ``mmfewshot_cls`` as scope.

    mmengine switches a build to the registry of the current default scope;
    forcing ours makes our types and those of mmpretrain/mmcv (our parents)
    resolvable whatever scope a caller has set. Non-dict ``cfg`` (an object
    built already) is returned unchanged.
    """
    if not isinstance(cfg, dict):
        return cfg
    with DefaultScope.overwrite_default_scope(SCOPE):
        return registry.build(cfg, default_args=default_args)


def parse_subsets(subset: Union[str, Sequence[str]], valid: Sequence[str],
                  owner: str) -> List[str]:
    """Normalise ``subset`` (one split name or a list) to a list of names.

    Raises:
        ConfigError: naming the unknown or repeated split.
    """
    subsets = [subset] if isinstance(subset, str) else list(subset)
    if not subsets:
        raise ConfigError(f'{owner}: `subset` is empty; use one or more of '
                          f'{list(valid)}')
    for name in subsets:
        if name not in valid:
            raise ConfigError(f'{owner}: unknown subset {name!r}; valid '
                              f'subsets are {list(valid)}')
    if len(set(subsets)) != len(subsets):
        raise ConfigError(f'{owner}: subset {subsets} names a split twice')
    return subsets


def group_by_label(labels: np.ndarray, num_classes: int) -> List[np.ndarray]:
    """Indices of ``labels`` grouped by value: entry ``c`` lists, in
    increasing order, the positions whose label is ``c``."""
    order = np.argsort(labels, kind='stable')
    counts = np.bincount(labels, minlength=num_classes)
    return np.split(order, np.cumsum(counts)[:-1])


def list_class_folders(root: str) -> List[str]:
    """Sorted names of the sub-folders of ``root``, hidden ones (``.``
    first, such as ``.ipynb_checkpoints``) left out."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'image folder {root} does not exist')
    return sorted(
        entry.name for entry in os.scandir(root)
        if entry.is_dir() and not entry.name.startswith('.'))
