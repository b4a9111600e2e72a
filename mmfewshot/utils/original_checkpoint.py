"""Converting checkpoints of the original toolbox (OpenMMLab MMFewShot 0.1.0,
built on mmcv-full 1.x, mmcls 0.x and mmdet 2.x) into checkpoints of ours.

A converter is a list of :class:`RenameRule` for one method, registered under
the method's name by the classification or detection side. Every key of the
original state dict must be claimed by exactly one rule: renamed, kept, or
dropped with a stated reason. A key that no rule claims is an error naming
it, so nothing is lost silently.
"""
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch

from .errors import CheckpointError

Tensor = torch.Tensor
StateDict = Dict[str, Tensor]


class UnmappedKeyError(CheckpointError):
    """Keys of an original checkpoint that no conversion rule claims."""


@dataclass(frozen=True)
class RenameRule:
    """Rename the keys matching ``pattern`` (a regular expression matched at
    the start of the key) to ``re.sub(pattern, replacement, key)``.

    Args:
        pattern: Regular expression, anchored at the start of the key.
        replacement: ``re.sub`` replacement; ``None`` drops the key.
        reason: Why a dropped key is not needed (required when
            ``replacement`` is None, shown by the converter tool).
        transform: Optional function applied to the tensor (e.g. a reshape
            between mmdet 2.x and 3.x layouts).
    """
    pattern: str
    replacement: Optional[str]
    reason: str = ''
    transform: Optional[Callable[[Tensor], Tensor]] = None

    def __post_init__(self):
        if self.replacement is None and not self.reason:
            raise ValueError(f'rule {self.pattern!r} drops keys without a '
                             'reason')


@dataclass
class OriginalConverter:
    """Conversion rules of one method of the original toolbox.

    Args:
        method: Method name as the original's model zoo spells it
            (``'tfa'``, ``'proto_net'``, ...).
        field: ``'classification'`` or ``'detection'``.
        rules: Tried in order; the first rule whose pattern matches a key
            decides what becomes of it.
        finalize: Optional function ``(state_dict, class_names) ->
            state_dict`` run after the renames (for weights whose layout
            depends on the classes).
    """
    method: str
    field: str
    rules: List[RenameRule]
    finalize: Optional[Callable[[StateDict, Optional[Sequence[str]]],
                                StateDict]] = None

    def convert(self,
                state_dict: StateDict,
                class_names: Optional[Sequence[str]] = None) -> StateDict:
        """Rename the original ``state_dict`` into ours.

        Raises:
            UnmappedKeyError: naming the keys no rule claims, and keys that
                two original keys would both be renamed to.
        """
        converted: StateDict = {}
        unmapped: List[str] = []
        sources: Dict[str, str] = {}
        for key, value in state_dict.items():
            if key.startswith('module.'):
                key = key[len('module.'):]
            rule = next((rule for rule in self.rules
                         if re.match(rule.pattern, key)), None)
            if rule is None:
                unmapped.append(key)
                continue
            if rule.replacement is None:
                continue
            new_key = re.sub(rule.pattern, rule.replacement, key, count=1)
            if new_key in converted:
                raise UnmappedKeyError(
                    f'{self.method}: original keys {sources[new_key]} and '
                    f'{key} both become {new_key}')
            sources[new_key] = key
            converted[new_key] = (
                rule.transform(value) if rule.transform else value)
        if unmapped:
            shown = ', '.join(unmapped[:8])
            more = f' (+{len(unmapped) - 8} more)' if len(unmapped) > 8 else ''
            raise UnmappedKeyError(
                f'{self.method}: no conversion rule for original key(s) '
                f'{shown}{more}')
        if self.finalize is not None:
            converted = self.finalize(converted, class_names)
        return converted

    def dropped(self, state_dict: StateDict) -> Dict[str, str]:
        """The original keys this converter drops, with the reason."""
        reasons = {}
        for key in state_dict:
            rule = next((rule for rule in self.rules
                         if re.match(rule.pattern, key)), None)
            if rule is not None and rule.replacement is None:
                reasons[key] = rule.reason
        return reasons


ORIGINAL_CONVERTERS: Dict[str, OriginalConverter] = {}


def register_original_converter(converter: OriginalConverter,
                                *aliases: str) -> OriginalConverter:
    """Register ``converter`` under its method name and ``aliases``.

    Raises:
        ValueError: a name is registered twice.
    """
    for name in (converter.method, *aliases):
        if name in ORIGINAL_CONVERTERS:
            raise ValueError(f'original converter {name!r} is registered '
                             'twice')
        ORIGINAL_CONVERTERS[name] = converter
    return converter


def get_original_converter(method: str) -> OriginalConverter:
    """The converter registered under ``method``.

    Raises:
        KeyError: naming the method and the known ones.
    """
    # The classification and detection sides register on import.
    import mmfewshot.classification  # noqa: F401
    import mmfewshot.detection  # noqa: F401
    if method not in ORIGINAL_CONVERTERS:
        known = ', '.join(sorted(ORIGINAL_CONVERTERS)) or 'none'
        raise KeyError(f'no converter for original method {method!r} '
                       f'(known: {known})')
    return ORIGINAL_CONVERTERS[method]


def convert_original_checkpoint(
        checkpoint: dict,
        method: str,
        class_names: Optional[Sequence[str]] = None) -> dict:
    """Convert a loaded checkpoint of the original toolbox into ours.

    Args:
        checkpoint: What ``torch.load`` returns for the original file: a dict
            with ``state_dict`` and usually ``meta`` (mmcv 1.x stores the
            dataset classes as ``meta['CLASSES']``), or a bare state dict.
        method: Method of the original's model zoo (see
            :data:`ORIGINAL_CONVERTERS`).
        class_names: Class names in the order of the model's outputs; default
            ``meta['CLASSES']`` of the checkpoint when present.

    Returns:
        ``{'state_dict': ..., 'meta': {...}}`` with ``meta['dataset_meta']
        ['classes']`` set when classes are known and ``meta['converted_from']``
        naming the original method.

    Raises:
        KeyError: unknown method.
        UnmappedKeyError: an original key no rule claims.
    """
    converter = get_original_converter(method)
    state_dict = checkpoint.get('state_dict', checkpoint)
    meta = dict(checkpoint.get('meta') or {}) if 'state_dict' in checkpoint \
        else {}
    if class_names is None and meta.get('CLASSES') is not None:
        class_names = list(meta['CLASSES'])
    new_meta = {'converted_from': f'mmfewshot 0.1.0 {converter.method}'}
    if class_names is not None:
        new_meta['dataset_meta'] = {'classes': tuple(class_names)}
    return {
        'state_dict': converter.convert(state_dict, class_names),
        'meta': new_meta
    }
