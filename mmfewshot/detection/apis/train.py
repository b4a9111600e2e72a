"""What the detection training tool does before the runner starts."""
import copy
import os.path as osp
from typing import Any, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint

from mmfewshot.detection.datasets import (NWayKShotDataset, TwoBranchDataset,
                                          build_fewshot_dataloader)
from mmfewshot.detection.registry import DATASETS, MODELS
from mmfewshot.utils import (CheckpointError, CheckpointMismatchError,
                             ConfigError, checkpoint_problem)
from .surgery import checkpoint_classes

SAVED_DATASET_FILE = 'saved_dataset.json'


def _dataset_cfgs(cfg: Any, path: str) -> List[tuple]:
    """``(path, dict)`` of every dataset config nested in ``cfg``."""
    found = []
    if isinstance(cfg, dict):
        if 'type' in cfg and ('ann_cfg' in cfg or 'save_dataset' in cfg):
            found.append((path, cfg))
        for key, value in cfg.items():
            found.extend(_dataset_cfgs(value, f'{path}.{key}'))
    elif isinstance(cfg, (list, tuple)):
        for index, value in enumerate(cfg):
            found.extend(_dataset_cfgs(value, f'{path}.{index}'))
    return found


def set_save_dataset_paths(cfg: Config) -> List[str]:
    """Point every training dataset with ``save_dataset=True`` and no
    ``save_dataset_path`` at a json file in the work dir.

    The first one gets ``<work_dir>/saved_dataset.json``, further ones
    (wrappers holding several datasets) ``saved_dataset_<n>.json``.

    Args:
        cfg: The config, with ``work_dir`` set.

    Returns:
        The paths filled in.
    """
    filled = []
    datasets = _dataset_cfgs(cfg.get('train_dataloader'), 'train_dataloader')
    for _, dataset in datasets:
        if dataset.get(
                'save_dataset') and not dataset.get('save_dataset_path'):
            stem, ext = osp.splitext(SAVED_DATASET_FILE)
            name = f'{stem}_{len(filled)}{ext}' if filled else \
                SAVED_DATASET_FILE
            dataset['save_dataset_path'] = osp.join(cfg.work_dir, name)
            filled.append(dataset['save_dataset_path'])
    return filled


def _under(name: str, prefixes: Sequence[str]) -> bool:
    return any(name == p or name.startswith(p + '.') for p in prefixes)


def check_load_from(cfg: Config) -> None:
    """Check that ``cfg.load_from`` exists and fits the model.

    mmengine loads ``load_from`` leniently: a tensor whose shape differs
    from the model's is skipped with a warning, so a fine-tuning run from a
    checkpoint with the wrong number of classes would silently train a
    freshly initialised head. Here such a mismatch is an error, except for
    parameters under the prefixes of the config key ``reinit_on_load``
    (methods that re-initialise their classifier on purpose). The model is
    built on the ``meta`` device: no memory, no weights. Remote checkpoints
    (URLs) are left to mmengine.

    Args:
        cfg: The training config.

    Raises:
        FileNotFoundError: ``load_from`` names a missing file.
        CheckpointMismatchError: naming the tensors whose shapes differ.
    """
    load_from = cfg.get('load_from')
    if not load_from or cfg.get('resume') or '://' in load_from:
        # resume picks its own checkpoint; remote files are mmengine's
        return
    if not osp.isfile(load_from):
        raise FileNotFoundError(
            f'load_from checkpoint not found: {load_from} (a fine-tuning '
            'config loads the base model after surgery; see the README of '
            'its method)')
    problem = checkpoint_problem(load_from)
    if problem is not None:
        raise CheckpointError(f'load_from checkpoint {load_from} {problem}')
    checkpoint = _load_checkpoint(load_from, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.get('backbone', {}).pop('init_cfg', None)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmfewshot_det')), torch.device('meta'):
        model = MODELS.build(model_cfg)
    reinit = list(cfg.get('reinit_on_load') or [])
    mismatched = [
        f'{key} {tuple(state_dict[key].shape)} vs {tuple(value.shape)}'
        for key, value in model.state_dict().items()
        if key in state_dict and hasattr(state_dict[key], 'shape')
        and tuple(state_dict[key].shape) != tuple(value.shape)
        and not _under(key, reinit)
    ]
    if mismatched:
        classes = checkpoint_classes(checkpoint)
        known = f' ({len(classes)} classes)' if classes else ''
        raise CheckpointMismatchError(
            f'load_from checkpoint {load_from}{known} does not fit the '
            'model: shape (checkpoint vs model) of ' + ', '.join(mismatched) +
            '; a base model must go through tools/detection/misc/'
            'initialize_bbox_head.py before fine-tuning on more classes')


def build_train_dataloader(cfg: Config) -> None:
    """Build the paired dataloaders the runner cannot build from a config.

    An ``NWayKShotDataset`` or ``TwoBranchDataset`` in
    ``cfg.train_dataloader`` is replaced by the dataloader object of
    :func:`build_fewshot_dataloader`, seeded with ``randomness.seed``;
    other datasets are left to the runner.

    Args:
        cfg: The training config (changed in place).
    """
    loader = cfg.get('train_dataloader')
    if not isinstance(loader, dict) or not isinstance(
            loader.get('dataset'), dict):
        return
    dataset_type = loader['dataset'].get('type')
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmfewshot_det')):
        if isinstance(dataset_type, str):
            dataset_type = DATASETS.get(dataset_type)
        if isinstance(dataset_type, type) and issubclass(
                dataset_type, (NWayKShotDataset, TwoBranchDataset)):
            seed: Optional[int] = (cfg.get('randomness') or {}).get('seed')
            cfg.train_dataloader = build_fewshot_dataloader(
                loader.to_dict() if hasattr(loader, 'to_dict') else loader,
                seed)


def check_dataset_classes(cfg: Config) -> None:
    """Every dataset of the config names its classes.

    Raises:
        ConfigError: naming the dataloader whose dataset has
            ``classes=None``.
    """
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for path, dataset in _dataset_cfgs(cfg.get(key), key):
            if 'classes' in dataset and dataset['classes'] is None:
                raise ConfigError(
                    f'{path}.classes is not set: name a class split such as '
                    "'ALL_CLASSES_SPLIT1' or list the class names")
