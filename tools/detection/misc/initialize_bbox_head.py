"""Checkpoint surgery for fine-tuning on base + novel classes (TFA, FSCE).

The box head of a base model has rows for the base classes only. This tool
writes a checkpoint whose classifier and box regressor have rows for the
classes of the fine-tuning model, matched by class name:

- ``random_init``: base rows and background copied, novel rows new;
- ``combine``: base rows from ``--src1``, novel rows from ``--src2`` (a
  model fine-tuned on the novel classes alone);
- ``remove``: the two layers are dropped (fine-tuning re-initialises them).

The base classes come from the checkpoint (``meta.dataset_meta.classes``,
written by every training run) or ``--base-classes``. The target classes
come from the fine-tuning config (``--config``, which also checks the new
tensors against its model), from ``--classes`` / ``--novel-classes``, or,
for a base model of a predefined split (``BASE_CLASSES_SPLITk``,
``BASE_CLASSES``), from that split's ``ALL_CLASSES``.

The output ``<save dir>/<tar name>_<method>_bbox_head.pth`` is an ordinary
checkpoint (weights and meta, no optimizer state) for ``load_from``. The
checkpoints are read onto ``--device`` (default: the CPU), where the rows
are made; the output holds CPU tensors, as any checkpoint that loads on a
machine without a GPU.

Example::

    WORK_DIR=work_dirs/tfa_r101_fpn_voc-split1_base-training
    python tools/detection/misc/initialize_bbox_head.py \\
        --src1 $WORK_DIR/iter_18000.pth --method random_init
"""
import argparse
import copy
import os.path as osp
import sys
from typing import Optional, Sequence, Tuple

import torch
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint

from mmfewshot.detection.apis.surgery import (DEFAULT_PARAM_NAMES, METHODS,
                                              SurgeryError, checkpoint_classes,
                                              initialize_bbox_head)
from mmfewshot.detection.datasets import (COCO_SPLIT, VOC_SPLIT,
                                          get_novel_classes, get_split_classes,
                                          read_dataset_classes)
from mmfewshot.detection.datasets.class_splits import is_split_name
from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import (CheckpointError, ConfigError, atomic_write,
                             checkpoint_problem, load_config, resolve_device,
                             user_errors)
from mmfewshot.utils.class_names import as_class_names


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Give the last box-head layers of a base model rows '
        'for base + novel classes (checkpoint surgery of TFA)')
    parser.add_argument('--src1', required=True, help='the base checkpoint')
    parser.add_argument(
        '--src2',
        help='the novel checkpoint (combine): a model trained on the novel '
        'classes')
    parser.add_argument('--method', required=True, choices=METHODS)
    parser.add_argument(
        '--config',
        help='the fine-tuning config: its training classes are the target '
        'classes and its model checks the new tensors')
    parser.add_argument(
        '--classes',
        nargs='+',
        help='the target classes in label order (or one split name such as '
        'ALL_CLASSES_SPLIT1), instead of --config')
    parser.add_argument(
        '--novel-classes',
        nargs='+',
        help='which target classes are novel (default: those not in the '
        'base checkpoint)')
    parser.add_argument(
        '--base-classes',
        nargs='+',
        help='the classes of --src1 in label order, for checkpoints without '
        'meta.dataset_meta (or one split name)')
    parser.add_argument(
        '--src2-classes',
        nargs='+',
        help='the classes of --src2 in label order, when it has no '
        'meta.dataset_meta (default: the novel classes)')
    parser.add_argument(
        '--param-name',
        nargs='+',
        default=list(DEFAULT_PARAM_NAMES),
        help='the layers to change (without .weight/.bias)')
    parser.add_argument(
        '--save-dir', help='output folder (default: the folder of --src1)')
    parser.add_argument(
        '--tar-name', default='base_model', help='output file name prefix')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the new rows')
    parser.add_argument(
        '--device',
        default='cpu',
        help='where the checkpoints are read and the rows made: cpu, cuda, '
        'cuda:1, ... (the same numbers on any device)')
    args = parser.parse_args(argv)
    if args.method == 'combine' and not args.src2:
        parser.error('--method combine needs --src2')
    if args.config and args.classes:
        parser.error('give --config or --classes, not both')
    return args


def _names(values: Optional[Sequence[str]]) -> Optional[Tuple[str, ...]]:
    """Class names from the command line; one split name expands."""
    if not values:
        return None
    if len(values) == 1 and (values[0] in VOC_SPLIT
                             or values[0] in COCO_SPLIT):
        return get_split_classes(values[0])
    return tuple(values)


def _load(path: str, what: str, device: torch.device) -> dict:
    problem = checkpoint_problem(path)
    if problem is not None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} checkpoint not found: {path}')
        raise CheckpointError(f'{what} checkpoint {path} {problem}')
    checkpoint = _load_checkpoint(path, map_location=device)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'{path} is not a checkpoint (a dict of weights)')
    return checkpoint


def _checkpoint_classes(checkpoint: dict, path: str,
                        given: Optional[Tuple[str, ...]],
                        option: str) -> Tuple[str, ...]:
    stored = checkpoint_classes(checkpoint)
    if given and stored and given != stored:
        differing = [g for g, s in zip(given, stored) if g != s]
        longer = given if len(given) > len(stored) else stored
        first = differing[0] if differing else longer[min(
            len(given), len(stored))]
        raise SurgeryError(
            f'{option} does not match the classes stored in {path} (first '
            f'difference: {first!r}; stored: {list(stored)})')
    classes = given or stored
    if not classes:
        raise SurgeryError(
            f'{path} stores no classes (meta.dataset_meta.classes or '
            f'meta.CLASSES): name them with {option}')
    return classes


def _config_target(
        config: str) -> Tuple[Tuple[str, ...], Tuple[str, ...], dict]:
    """Target classes, novel classes and box-head tensor shapes of a
    fine-tuning config."""
    cfg = load_config(config)
    dataset = (cfg.get('train_dataloader') or {}).get('dataset')
    while isinstance(dataset, dict) and 'classes' not in dataset:
        dataset = next((v for k, v in dataset.items()
                        if k.endswith('dataset') and isinstance(v, dict)),
                       None)
    if not isinstance(dataset, dict) or not dataset.get('classes'):
        raise ConfigError(f'{config}: train_dataloader.dataset names no '
                          'classes')
    classes = dataset['classes']
    novel = get_novel_classes(classes) if is_split_name(classes) else None
    classes = read_dataset_classes(classes, 'train_dataloader.dataset.classes',
                                   config)
    novel_classes = as_class_names(
        dataset.get('novel_classes'), 'train_dataloader.dataset.novel_classes',
        config)
    if novel_classes is not None:
        novel = novel_classes
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.get('backbone', {}).pop('init_cfg', None)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmfewshot_det')), torch.device('meta'):
        model = MODELS.build(model_cfg)
    shapes = {
        name: tuple(tensor.shape)
        for name, tensor in model.state_dict().items()
    }
    return tuple(classes), novel, shapes


def _default_target(source_classes: Tuple[str, ...]) -> Tuple[str, ...]:
    for splits in (VOC_SPLIT, COCO_SPLIT):
        for name, classes in splits.items():
            if name.startswith('BASE_') and tuple(classes) == source_classes:
                return tuple(splits[name.replace('BASE_', 'ALL_', 1)])
    raise SurgeryError(
        'the base classes are not a predefined base split: name the target '
        'classes with --config or --classes')


def _save(checkpoint: dict, path: str) -> None:
    """Write all or nothing (a temporary file renamed over ``path``), with
    the tensors of ``state_dict`` on the CPU."""
    checkpoint = dict(
        checkpoint,
        state_dict={
            name: value.cpu() if isinstance(value, torch.Tensor) else value
            for name, value in checkpoint['state_dict'].items()
        })
    with atomic_write(path, 'wb') as f:
        torch.save(checkpoint, f)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    with user_errors('initialize_bbox_head'):
        device = resolve_device(args.device)
        checkpoint = _load(args.src1, 'base', device)
        state_dict = checkpoint.get('state_dict', checkpoint)
        source_classes = _checkpoint_classes(checkpoint, args.src1,
                                             _names(args.base_classes),
                                             '--base-classes')
        target_shapes = None
        novel: Optional[Tuple[str, ...]] = _names(args.novel_classes)
        target: Optional[Tuple[str, ...]] = None
        if args.config:
            target, config_novel, target_shapes = _config_target(args.config)
            novel = novel or config_novel
        elif args.classes:
            target = _names(args.classes)
        elif args.method != 'remove':
            target = _default_target(source_classes)
        if novel is None:
            novel = tuple(c for c in target or () if c not in source_classes)
        novel_state, novel_source = None, None
        if args.method == 'combine':
            novel_checkpoint = _load(args.src2, 'novel', device)
            novel_state = novel_checkpoint.get('state_dict', novel_checkpoint)
            given = _names(args.src2_classes)
            stored = checkpoint_classes(novel_checkpoint)
            novel_source = _checkpoint_classes(
                novel_checkpoint, args.src2, given
                or (None if stored else novel), '--src2-classes')
        new_state, changed = initialize_bbox_head(
            state_dict,
            source_classes,
            target or (),
            novel,
            method=args.method,
            novel_state_dict=novel_state,
            novel_source_classes=novel_source,
            param_names=args.param_name,
            target_shapes=target_shapes,
            seed=args.seed)
        meta = dict(checkpoint.get('meta') or {})
        meta = {
            key: meta[key]
            for key in ('mmengine_version', 'seed') if key in meta
        }
        if target is not None:
            meta['dataset_meta'] = dict(classes=list(target))
        meta['surgery'] = dict(
            method=args.method,
            src1=args.src1,
            src2=args.src2,
            base_classes=list(source_classes),
            novel_classes=list(novel),
            changed=changed,
            seed=args.seed)
        save_dir = args.save_dir or osp.dirname(osp.abspath(args.src1))
        out = osp.join(save_dir,
                       f'{args.tar_name}_{args.method}_bbox_head.pth')
        _save(dict(meta=meta, state_dict=new_state), out)
    if target is not None:
        print(f'{args.method}: {len(source_classes)} base classes -> '
              f'{len(target)} classes ({len(novel)} novel: '
              f'{", ".join(novel) or "none"})')
    print(f'changed {", ".join(changed)}; saved {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
