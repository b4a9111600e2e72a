"""Converting checkpoints of the original toolbox (OpenMMLab MMFewShot 0.1.0,
built on mmcv-full 1.x, mmcls 0.x and mmdet 2.x) into checkpoints of ours.

A converter is a list of :class:`RenameRule` for one method, registered under
the method's name by the classification or detection side. Every key of the
original state dict must be claimed by exactly one rule: renamed, kept, or
dropped with a stated reason. A key that no rule claims is an error naming
it, so nothing is lost silently.

The original's checkpoints are mmcv 1.x checkpoints: their ``meta`` is an
``mmcv.utils.config.ConfigDict`` (a module that mmcv 2 no longer has) and
may hold numpy arrays. :func:`load_original_checkpoint` reads them with
``weights_only=True``, the ``ConfigDict`` read as a plain dict.
"""
import os.path as osp
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .checkpoint import checkpoint_problem, read_checkpoint_errors
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
        alias: The matched keys are a second name of another original key
            (a module the original registers twice, e.g. a support backbone
            that is the query backbone): the renamed key must be produced
            by another rule from an equal tensor, and this copy is dropped
            (``reason`` says why). A copy that differs is an error.
    """
    pattern: str
    replacement: Optional[str]
    reason: str = ''
    transform: Optional[Callable[[Tensor], Tensor]] = None
    alias: bool = False

    def __post_init__(self):
        if (self.replacement is None or self.alias) and not self.reason:
            raise ValueError(f'rule {self.pattern!r} drops keys without a '
                             'reason')
        if self.alias and self.replacement is None:
            raise ValueError(f'alias rule {self.pattern!r} needs the key it '
                             'is a copy of (replacement)')


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
        convert_meta: Optional function ``(original_meta, options) ->
            dict`` returning entries of our ``meta`` made from the
            original's (e.g. the support set of a query-support detector);
            ``options`` are the keyword options of
            :func:`convert_original_checkpoint`.
    """
    method: str
    field: str
    rules: List[RenameRule]
    finalize: Optional[Callable[[StateDict, Optional[Sequence[str]]],
                                StateDict]] = None
    convert_meta: Optional[Callable[[dict, dict], dict]] = None

    def rule_for(self, key: str) -> Optional[RenameRule]:
        """The first rule whose pattern matches ``key``, or None."""
        return next(
            (rule for rule in self.rules if re.match(rule.pattern, key)), None)

    def plan(self, state_dict: StateDict) -> List[Tuple[str, str, str, str]]:
        """What becomes of every original key, without converting.

        Returns:
            ``(original key, action, new key, reason)`` per key (``module.``
            prefixes removed); action is ``'keep'`` (same name),
            ``'rename'``, ``'drop'``, ``'alias'`` (a dropped copy of the new
            key) or ``'unmapped'``; the reason is that of a drop or alias.
        """
        rows = []
        for key in state_dict:
            key = _strip_module(key)
            rule = self.rule_for(key)
            if rule is None:
                rows.append((key, 'unmapped', '', ''))
            elif rule.replacement is None:
                rows.append((key, 'drop', '', rule.reason))
            else:
                new_key = re.sub(rule.pattern, rule.replacement, key, count=1)
                action = 'alias' if rule.alias else (
                    'keep' if new_key == key else 'rename')
                rows.append((key, action, new_key, rule.reason))
        return rows

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
        aliases: List[Tuple[str, str, Tensor]] = []
        for key, value in state_dict.items():
            key = _strip_module(key)
            rule = self.rule_for(key)
            if rule is None:
                unmapped.append(key)
                continue
            if rule.replacement is None:
                continue
            new_key = re.sub(rule.pattern, rule.replacement, key, count=1)
            if rule.transform is not None:
                value = rule.transform(value)
            if rule.alias:
                aliases.append((key, new_key, value))
                continue
            if new_key in converted:
                raise UnmappedKeyError(
                    f'{self.method}: original keys {sources[new_key]} and '
                    f'{key} both become {new_key}')
            sources[new_key] = key
            converted[new_key] = value
        for key, new_key, value in aliases:
            if new_key not in converted:
                raise UnmappedKeyError(
                    f'{self.method}: original key {key} is taken for a copy '
                    f'of {new_key}, which the checkpoint does not have')
            kept = converted[new_key]
            if (not isinstance(value, Tensor) or kept.shape != value.shape
                    or not torch.equal(kept, value)):
                raise UnmappedKeyError(
                    f'{self.method}: original key {key} differs from '
                    f'{sources[new_key]}; the converter expects a copy (a '
                    'model with a separate module there does not convert)')
        if unmapped:
            shown = ', '.join(unmapped[:8])
            more = f' (+{len(unmapped) - 8} more)' if len(unmapped) > 8 else ''
            raise UnmappedKeyError(
                f'{self.method}: no conversion rule for original key(s) '
                f'{shown}{more} (a checkpoint of another method?)')
        if self.finalize is not None:
            converted = self.finalize(converted, class_names)
        return converted

    def dropped(self, state_dict: StateDict) -> Dict[str, str]:
        """The original keys this converter drops, with the reason."""
        return {
            key: reason
            for key, action, _, reason in self.plan(state_dict)
            if action in ('drop', 'alias')
        }


def _strip_module(key: str) -> str:
    return key[len('module.'):] if key.startswith('module.') else key


ORIGINAL_CONVERTERS: Dict[str, OriginalConverter] = {}


def register_original_converter(converter: OriginalConverter, *aliases:
                                str) -> OriginalConverter:
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


def convert_original_checkpoint(checkpoint: dict,
                                method: str,
                                class_names: Optional[Sequence[str]] = None,
                                **options: Any) -> dict:
    """Convert a loaded checkpoint of the original toolbox into ours.

    Args:
        checkpoint: What ``torch.load`` returns for the original file: a dict
            with ``state_dict`` and usually ``meta`` (mmcv 1.x stores the
            dataset classes as ``meta['CLASSES']``), or a bare state dict.
        method: Method of the original's model zoo (see
            :data:`ORIGINAL_CONVERTERS`).
        class_names: Class names in the order of the model's outputs; default
            ``meta['CLASSES']`` of the checkpoint when present.
        **options: Options of the method's ``convert_meta`` (e.g.
            ``support_img_prefix`` of the query-support detectors).

    Returns:
        ``{'state_dict': ..., 'meta': {...}}`` with ``meta['dataset_meta']
        ['classes']`` set when classes are known, ``meta['converted_from']``
        naming the original method and what ``convert_meta`` adds.

    Raises:
        KeyError: unknown method.
        UnmappedKeyError: an original key no rule claims.
        CheckpointError: original meta that ``convert_meta`` cannot use.
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
    converted = converter.convert(state_dict, class_names)
    if converter.convert_meta is not None:
        new_meta.update(
            converter.convert_meta(meta,
                                   dict(options, class_names=class_names)))
    return {'state_dict': converted, 'meta': new_meta}


class LegacyConfigDict:
    """Stands for ``mmcv.utils.config.ConfigDict`` (an addict ``Dict``) in
    mmcv 1.x checkpoints, a class mmcv 2 no longer has: the unpickler makes
    an ``OrderedDict`` of it instead, one of the few types whose items and
    attribute state ``torch.load(weights_only=True)`` may set."""

    def __new__(cls, *args: Any, **kwargs: Any) -> 'OrderedDict':
        return OrderedDict()


def _legacy_globals() -> List[Tuple[Any, str]]:
    """Names of globals in mmcv 1.x checkpoints bound to safe stand-ins.

    mmcv 1.x (addict) config dicts, numpy 1.x module paths (``numpy.core``,
    renamed ``numpy._core`` in numpy 2) and ``bytes`` (pickle protocol 2
    writes the data of an empty numpy array as ``bytes()``).
    """
    multiarray = (getattr(np, '_core', None) or np.core).multiarray
    return [
        (bytes, 'builtins.bytes'),
        (LegacyConfigDict, 'mmcv.utils.config.ConfigDict'),
        (LegacyConfigDict, 'addict.addict.Dict'),
        (multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
        (multiarray.scalar, 'numpy.core.multiarray.scalar'),
    ]


def load_original_checkpoint(path: str) -> dict:
    """Read a checkpoint file of the original toolbox (or of ours).

    ``torch.load`` with ``weights_only=True``; mmcv 1.x config dicts become
    plain dicts and numpy 1.x arrays load as numpy arrays.

    Args:
        path: The checkpoint file.

    Returns:
        The checkpoint: a dict with ``state_dict`` (and usually ``meta``),
        or a bare state dict.

    Raises:
        FileNotFoundError: the file does not exist.
        CheckpointError: naming the file when it is damaged, holds
            something other than a dict, or holds objects outside the
            allow-list.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        with torch.serialization.safe_globals(_legacy_globals()):
            checkpoint = torch.load(
                path, map_location='cpu', weights_only=True)
    except read_checkpoint_errors() as error:
        problem = checkpoint_problem(path)
        if problem is None:
            lines = str(error).strip().splitlines()
            problem = (f'cannot be read ({type(error).__name__}: '
                       f'{lines[0] if lines else ""})')
        raise CheckpointError(f'checkpoint {path} {problem}') from error
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'checkpoint {path} holds a '
                              f'{type(checkpoint).__name__}, not a dict of '
                              'weights')
    return checkpoint


def is_original_checkpoint(checkpoint: dict) -> bool:
    """Whether a loaded checkpoint was saved by the original toolbox's
    stack (mmcv 1.x) rather than converted or saved by ours (mmengine).

    mmcv 1.x writes ``meta['mmcv_version']`` (1.x), mmengine writes
    ``meta['mmengine_version']``; the converter writes
    ``meta['converted_from']``.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if not isinstance(meta, dict):
        return False
    if 'converted_from' in meta or 'mmengine_version' in meta:
        return False
    return str(meta.get('mmcv_version', '')).startswith('1.')


CONVERTER_TOOL = 'tools/model_converters/convert_original_checkpoint.py'


def convert_command(path: str, method: str = 'METHOD') -> str:
    """The command that converts the original checkpoint ``path``."""
    root, ext = osp.splitext(path)
    return (f'python {CONVERTER_TOOL} {path} {root}_converted{ext or ".pth"} '
            f'--method {method}')


def refuse_original_checkpoint(path: str, method: str = 'METHOD') -> None:
    """Raise a one-line error naming the converter command when ``path``
    is a checkpoint of the original toolbox (mmcv 1.x); return otherwise.

    Args:
        path: The checkpoint file (a missing or unreadable file returns:
            the strict loader reports it).
        method: The converter method to name, e.g. from the config.

    Raises:
        CheckpointError: ``path`` is an unconverted original checkpoint.
    """
    try:
        checkpoint = load_original_checkpoint(path)
    except (CheckpointError, FileNotFoundError):
        return
    if is_original_checkpoint(checkpoint):
        raise CheckpointError(
            f'checkpoint {path} is a checkpoint of the original MMFewShot '
            '0.1.0 (mmcv 1.x); convert it first: '
            f'{convert_command(path, method)}')
