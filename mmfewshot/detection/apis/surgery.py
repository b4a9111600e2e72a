"""Checkpoint surgery of the last box-head layers, row by class name.

A base model's classifier ``fc_cls`` has one row per base class (plus the
background row last, for softmax classifiers) and its class-specific box
regressor ``fc_reg`` four rows per class. Fine-tuning on base + novel
classes needs one row per target class: TFA (Wang et al., ICML 2020) copies
the rows of the base classes and initialises the novel ones
(``random_init``), or takes the novel rows from a model fine-tuned on the
novel classes alone (``combine``), or drops the layers (``remove``).

Rows are matched by class name, so the target classes may be in any order
(COCO's base classes are spread over the 80) and of any number. This
replaces the original tool's hard-coded VOC/COCO/LVIS sizes and id maps.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmfewshot.utils import ConfigError

METHODS = ('random_init', 'combine', 'remove')
DEFAULT_PARAM_NAMES = ('roi_head.bbox_head.fc_cls',
                       'roi_head.bbox_head.fc_reg')
# mean and std of the fresh rows of ``random_init`` (the TFA tool's)
INIT_STD = 0.01


class SurgeryError(ConfigError):
    """A class list or checkpoint that the surgery cannot map."""


def checkpoint_classes(checkpoint: dict) -> Optional[Tuple[str, ...]]:
    """The classes a checkpoint was trained on, in label order.

    Reads ``meta.dataset_meta.classes`` (mmengine) or ``meta.CLASSES``
    (mmcv 1.x checkpoints of the original toolbox); None when neither is
    there.
    """
    meta = checkpoint.get('meta') or {}
    classes = (meta.get('dataset_meta') or {}).get('classes')
    if classes is None:
        classes = meta.get('CLASSES')
    return tuple(classes) if classes else None


def _layer_kind(param_name: str) -> str:
    """``'cls'`` or ``'reg'`` from a layer name."""
    leaf = param_name.rsplit('.', 1)[-1]
    if 'cls' in leaf:
        return 'cls'
    if 'reg' in leaf:
        return 'reg'
    raise SurgeryError(
        f'cannot tell whether {param_name} is a classifier or a box '
        "regressor: its last name must contain 'cls' or 'reg'")


def _row_layout(name: str, num_rows: int, classes: Sequence[str],
                kind: str) -> Tuple[int, bool]:
    """Rows per class and whether the last row is the background.

    Raises:
        SurgeryError: when the rows do not fit the classes.
    """
    num_classes = len(classes)
    if kind == 'cls':
        if num_rows == num_classes + 1:
            return 1, True
        if num_rows == num_classes:
            return 1, False
        raise SurgeryError(
            f'{name} has {num_rows} rows, but the checkpoint names '
            f'{num_classes} classes ({num_classes} or {num_classes + 1} '
            'rows expected): give the classes it was trained on')
    if num_rows == 4 * num_classes:
        return 4, False
    if num_rows == 4:
        return 0, False
    raise SurgeryError(
        f'{name} has {num_rows} rows, but the checkpoint names {num_classes} '
        f'classes ({4 * num_classes} rows, or 4 if class-agnostic, expected)')


def _class_rows(tensor: Tensor, classes: Sequence[str], rows_per_class: int,
                has_background: bool) -> Dict[str, Tensor]:
    rows = {
        name: tensor[i * rows_per_class:(i + 1) * rows_per_class]
        for i, name in enumerate(classes)
    }
    if has_background:
        rows['__background__'] = tensor[-1:]
    return rows


def check_class_lists(source_classes: Sequence[str],
                      target_classes: Sequence[str],
                      novel_classes: Sequence[str]) -> None:
    """Check that the target's base classes are the source's.

    Args:
        source_classes: Classes of the base checkpoint.
        target_classes: Classes of the fine-tuning model, in label order.
        novel_classes: The target classes that are new.

    Raises:
        SurgeryError: naming a novel class that is not a target class or
            already in the source, or a base class missing from the source.
    """
    for name in novel_classes:
        if name not in target_classes:
            raise SurgeryError(
                f'novel class {name!r} is not one of the target classes')
        if name in source_classes:
            raise SurgeryError(
                f'novel class {name!r} is already a class of the base '
                'checkpoint')
    for name in target_classes:
        if name not in novel_classes and name not in source_classes:
            raise SurgeryError(
                f'class {name!r} of the target is neither a class of the '
                f'base checkpoint ({list(source_classes)}) nor novel')


def initialize_bbox_head(
    state_dict: Dict[str, Tensor],
    source_classes: Sequence[str],
    target_classes: Sequence[str],
    novel_classes: Sequence[str],
    method: str = 'random_init',
    novel_state_dict: Optional[Dict[str, Tensor]] = None,
    novel_source_classes: Optional[Sequence[str]] = None,
    param_names: Sequence[str] = DEFAULT_PARAM_NAMES,
    target_shapes: Optional[Dict[str, Tuple[int, ...]]] = None,
    seed: int = 0,
) -> Tuple[Dict[str, Tensor], List[str]]:
    """Give the last box-head layers one row (block) per target class.

    Args:
        state_dict: Weights of the base model (not changed).
        source_classes: Its classes, in label order.
        target_classes: The classes of the fine-tuning model, in label
            order.
        novel_classes: The target classes that are not in the base model.
        method: ``'random_init'``: base rows and background copied, novel
            rows drawn from N(0, 0.01) (weights) and 0 (biases);
            ``'combine'``: novel rows copied from ``novel_state_dict``;
            ``'remove'``: the layers are dropped.
        novel_state_dict: Weights of a model trained on the novel classes
            (``combine``).
        novel_source_classes: Its classes, in label order (``combine``).
        param_names: The layers, without ``.weight`` / ``.bias``; a name
            whose last part contains ``cls`` is a classifier, ``reg`` a box
            regressor.
        target_shapes: Shapes of the target model's tensors of these layers,
            when known: a bias the target has not is dropped, and a shape
            that would not fit is an error.
        seed: Seed of the fresh rows, drawn on the CPU: the same numbers
            whatever device the weights are on.

    Returns:
        The new weights and the tensor names that were changed; a changed
        tensor is on the device of the base tensor it replaces.

    Raises:
        SurgeryError: on class lists or tensors that do not fit.
    """
    if method not in METHODS:
        raise SurgeryError(f'unknown method {method!r}; expected one of '
                           f'{list(METHODS)}')
    if method != 'remove':
        check_class_lists(source_classes, target_classes, novel_classes)
    if method == 'combine':
        if novel_state_dict is None or novel_source_classes is None:
            raise SurgeryError('combine needs the novel model and its classes')
        missing = [c for c in novel_classes if c not in novel_source_classes]
        if missing:
            raise SurgeryError(
                f'novel class {missing[0]!r} is not a class of the novel '
                f'checkpoint ({list(novel_source_classes)})')
    new_state = dict(state_dict)
    changed: List[str] = []
    generator = torch.Generator().manual_seed(seed)
    for param_name in param_names:
        kind = _layer_kind(param_name)
        for suffix in ('weight', 'bias'):
            name = f'{param_name}.{suffix}'
            if name not in state_dict:
                if suffix == 'weight':
                    raise SurgeryError(
                        f'the base checkpoint has no {name}; set '
                        '--param-name to the names of its last layers')
                continue
            if method == 'remove':
                del new_state[name]
                changed.append(name)
                continue
            if target_shapes is not None and name not in target_shapes:
                # e.g. the bias of a linear classifier before a cosine one
                del new_state[name]
                changed.append(name)
                continue
            new_state[name] = _new_rows(name, kind, state_dict[name],
                                        source_classes, target_classes,
                                        novel_classes, method,
                                        novel_state_dict, novel_source_classes,
                                        generator)
            if target_shapes is not None and tuple(
                    new_state[name].shape) != tuple(target_shapes[name]):
                raise SurgeryError(
                    f'{name} would be {tuple(new_state[name].shape)} but the '
                    f'target model has {tuple(target_shapes[name])}: do the '
                    'classes and the box head of the config match?')
            changed.append(name)
    return new_state, changed


def _new_rows(name: str, kind: str, tensor: Tensor,
              source_classes: Sequence[str], target_classes: Sequence[str],
              novel_classes: Sequence[str], method: str,
              novel_state_dict: Optional[Dict[str, Tensor]],
              novel_source_classes: Optional[Sequence[str]],
              generator: torch.Generator) -> Tensor:
    rows_per_class, has_background = _row_layout(name, tensor.shape[0],
                                                 source_classes, kind)
    if rows_per_class == 0:
        # class-agnostic regression: nothing depends on the classes
        return tensor.clone()
    base_rows = _class_rows(tensor, source_classes, rows_per_class,
                            has_background)
    novel_rows: Dict[str, Tensor] = {}
    if method == 'combine':
        novel_tensor = novel_state_dict.get(name)
        if novel_tensor is None and name.endswith('.bias'):
            # a novel model without biases (cosine classifier): zeros
            novel_tensor = tensor.new_zeros(
                (len(novel_source_classes) * rows_per_class +
                 int(has_background), ))
        if novel_tensor is None:
            raise SurgeryError(f'the novel checkpoint has no {name}')
        novel_layout = _row_layout(f'{name} of the novel checkpoint',
                                   novel_tensor.shape[0], novel_source_classes,
                                   kind)
        if novel_layout[0] != rows_per_class or \
                novel_tensor.shape[1:] != tensor.shape[1:]:
            raise SurgeryError(
                f'{name} of the novel checkpoint {tuple(novel_tensor.shape)} '
                f'does not match the base one {tuple(tensor.shape)}')
        # the novel model may have been loaded onto another device
        novel_rows = _class_rows(
            novel_tensor.to(tensor.device), novel_source_classes,
            rows_per_class, novel_layout[1])
    blocks = []
    for class_name in target_classes:
        if class_name in novel_classes:
            if method == 'combine':
                blocks.append(novel_rows[class_name])
            elif name.endswith('.weight'):
                # drawn on the CPU: the same rows on every device
                blocks.append(
                    torch.randn((rows_per_class, *tensor.shape[1:]),
                                generator=generator).to(
                                    tensor.device, tensor.dtype) * INIT_STD)
            else:
                blocks.append(tensor.new_zeros((rows_per_class, )))
        else:
            blocks.append(base_rows[class_name])
    if has_background:
        blocks.append(base_rows['__background__'])
    return torch.cat(blocks).contiguous()
