"""Checkpoints of the original toolbox's eight classifiers, converted to ours.

The original (OpenMMLab MMFewShot 0.1.0) builds its classifiers from its own
modules only: the backbones ``Conv4`` / ``Conv4NoPool`` (``ConvNet``) and
``ResNet12``, and its own heads. The one mmcls 0.x class among them,
``ClsHead`` (the base of ``NegMarginHead``), has no parameters, so no mmcls
key needs an mmpretrain name. What differs is the module layout:

==========================================  ================================
original key                                ours
==========================================  ================================
``backbone.layers.{b}.layers.0.weight``     ``backbone.layers.{i}.weight``
  (conv of Conv4 block ``b``)                 (``i`` counts the flat layers)
``backbone.layers.{b}.layers.0.bias``       folded into the BatchNorm's
                                              ``running_mean`` (ours has no
                                              conv bias)
``backbone.layers.{b}.layers.1.*``          ``backbone.layers.{i + 1}.*``
``backbone.layer{k}.0.conv{j}.*``           ``backbone.stages.{k-1}.residual
                                              .{3(j-1)}.*``
``backbone.layer{k}.0.norm{j}.*``           ``... .residual.{3(j-1)+1}.*``
``backbone.layer{k}.0.downsample.{0,1}.*``  ``backbone.stages.{k-1}
                                              .shortcut.{0,1}.*``
``head.fc.weight_g`` / ``weight_v``         ``head.gain`` (flattened) /
  (Baseline++, weight normalisation)          ``head.weight``
``head.layer{1,2}.*`` (RelationNet)         ``head.blocks.{0,1}.*``
``head.fc1.*`` / ``head.fc2.*``             ``head.fc.0.*`` / ``head.fc.2.*``
``device_indicator``                        dropped: an empty buffer
==========================================  ================================

The linear, negative-margin and Meta-Baseline heads keep their names
(``head.fc.*``, ``head.weight``, ``head.temperature``).

Ours is the same function: without a bias, Conv4's BatchNorm sees the
convolution's output shifted by ``-bias``, and ``running_mean - bias``
restores the normalisation of the original in eval mode, while in training
mode BatchNorm removes any per-channel constant anyway. MAML normalises
every batch with its own statistics (the original's BatchNorm replaces its
running statistics by zeros and ones), so its checkpoints' running
statistics and Conv4 biases are dropped, with that reason.

Importing this module registers one converter per method under the name of
the original's model zoo (``proto_net``, ...) and the classifier's type
(``ProtoNet``, ...).
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmfewshot.utils import (CheckpointError, CheckpointMismatchError,
                             load_checkpoint_strict)
from mmfewshot.utils.checkpoint import (checkpoint_problem,
                                        read_checkpoint_errors)
from mmfewshot.utils.original_checkpoint import (ORIGINAL_CONVERTERS,
                                                 OriginalConverter, RenameRule,
                                                 StateDict,
                                                 convert_original_checkpoint,
                                                 register_original_converter)

#: the converter tool, as the log and the error messages name it
CONVERTER_TOOL = 'tools/model_converters/convert_original_checkpoint.py'

# a renamed Conv4 bias waits under this name until it is folded
_FOLDED_BIAS = 'bias_to_fold'

_DEVICE_INDICATOR = RenameRule(
    r'device_indicator$',
    None,
    reason='an empty buffer the original used to find the model device')
_MAML_STATS_REASON = (
    'MAML normalises every batch with its own statistics; the original '
    'replaces these running statistics by zeros and ones when it runs')
_MAML_BIAS_REASON = ('a constant per channel, removed by the BatchNorm that '
                     'follows, which MAML always runs with batch statistics')
_BN_STATS = r'(running_mean|running_var|num_batches_tracked)$'

# the layers of ours per Conv4 block: conv, BN, ReLU and the max pooling
CONV4_POOLING = (True, True, True, True)
CONV4_NO_POOL_POOLING = (True, True, False, False)


def conv4_rules(pooling: Sequence[bool],
                maml: bool = False) -> List[RenameRule]:
    """Rules of the original ``ConvNet`` (``Conv4``, ``Conv4NoPool``).

    The original nests every block (``layers.{b}.layers.{0: conv, 1: BN}``);
    ours is one flat ``nn.Sequential``, where a block without pooling has
    one layer fewer, so the layout depends on which blocks pool.

    Args:
        pooling: Whether each block ends with a max pooling.
        maml: Drop the running statistics and the conv biases (see the
            module docstring).
    """
    rules: List[RenameRule] = []
    index = 0
    for block, pool in enumerate(pooling):
        conv = rf'backbone\.layers\.{block}\.layers\.0\.'
        norm = rf'backbone\.layers\.{block}\.layers\.1\.'
        rules.append(
            RenameRule(conv + 'weight$', f'backbone.layers.{index}.weight'))
        if maml:
            rules += [
                RenameRule(conv + 'bias$', None, reason=_MAML_BIAS_REASON),
                RenameRule(norm + _BN_STATS, None, reason=_MAML_STATS_REASON)
            ]
        else:
            rules.append(
                RenameRule(conv + 'bias$',
                           f'backbone.layers.{index}.{_FOLDED_BIAS}'))
        rules.append(
            RenameRule(norm + '(weight|bias|' + _BN_STATS[1:],
                       f'backbone.layers.{index + 1}.' + r'\1'))
        index += 4 if pool else 3
    return rules


def resnet12_rules(maml: bool = False) -> List[RenameRule]:
    """Rules of the original ``ResNet12``: four one-block stages
    ``layer1..4``, each three conv-BN pairs and a 1x1 conv-BN downsample.

    Args:
        maml: Drop the BatchNorm running statistics.
    """
    rules: List[RenameRule] = []
    for stage in range(4):
        block = rf'backbone\.layer{stage + 1}\.0\.'
        ours = f'backbone.stages.{stage}.'
        norms = [(f'norm{j + 1}', f'residual.{3 * j + 1}') for j in range(3)]
        norms.append(('downsample.1', 'shortcut.1'))
        if maml:
            rules += [
                RenameRule(
                    block + original.replace('.', r'\.') + r'\.' + _BN_STATS,
                    None,
                    reason=_MAML_STATS_REASON) for original, _ in norms
            ]
        pairs = [(f'conv{j + 1}', f'residual.{3 * j}') for j in range(3)]
        pairs.append(('downsample.0', 'shortcut.0'))
        for original, renamed in pairs + norms:
            rules.append(
                RenameRule(block + original.replace('.', r'\.') + r'\.',
                           ours + renamed + '.'))
    return rules


def _flatten(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.reshape(-1)


LINEAR_HEAD = [RenameRule(r'head\.fc\.(weight|bias)$', r'head.fc.\1')]
COSINE_DISTANCE_HEAD = [
    # weight normalisation: direction v and gain g ([C, 1] in the original)
    RenameRule(r'head\.fc\.weight_g$', 'head.gain', transform=_flatten),
    RenameRule(r'head\.fc\.weight_v$', 'head.weight'),
]
NEG_MARGIN_HEAD = [RenameRule(r'head\.weight$', 'head.weight')]
META_BASELINE_HEAD = [RenameRule(r'head\.temperature$', 'head.temperature')]
RELATION_HEAD = [
    RenameRule(r'head\.layer1\.', 'head.blocks.0.'),
    RenameRule(r'head\.layer2\.', 'head.blocks.1.'),
    RenameRule(r'head\.fc1\.', 'head.fc.0.'),
    RenameRule(r'head\.fc2\.', 'head.fc.2.'),
]


def fold_conv_biases(state_dict: StateDict,
                     class_names: Optional[Sequence[str]] = None) -> StateDict:
    """Fold every renamed Conv4 bias into the ``running_mean`` of the
    BatchNorm that follows it (``running_mean - bias``).

    Raises:
        CheckpointError: a bias without the BatchNorm statistics after it.
    """
    folded = dict(state_dict)
    for key in [key for key in state_dict if key.endswith(_FOLDED_BIAS)]:
        bias = folded.pop(key)
        prefix, index = key[:-len(_FOLDED_BIAS) - 1].rsplit('.', 1)
        running_mean = f'{prefix}.{int(index) + 1}.running_mean'
        if running_mean not in folded:
            raise CheckpointError(
                f'the conv bias before {running_mean} has no BatchNorm '
                'running mean to fold into')
        folded[running_mean] = folded[running_mean] - bias
    return folded


def _converter(method: str,
               head: List[RenameRule],
               pooling: Sequence[bool] = CONV4_POOLING,
               maml: bool = False) -> OriginalConverter:
    rules = [_DEVICE_INDICATOR]
    rules += conv4_rules(pooling, maml) + resnet12_rules(maml) + head
    return OriginalConverter(
        method=method,
        field='classification',
        rules=rules,
        finalize=None if maml else fold_conv_biases)


#: the original's model-zoo name, our classifier type, head rules, Conv4
#: layout and whether the method is MAML
_METHODS = (
    ('baseline', 'Baseline', LINEAR_HEAD, CONV4_POOLING, False),
    ('baseline_plus', 'BaselinePlus', COSINE_DISTANCE_HEAD, CONV4_POOLING,
     False),
    ('neg_margin', 'NegMargin', NEG_MARGIN_HEAD, CONV4_POOLING, False),
    ('matching_net', 'MatchingNet', [], CONV4_POOLING, False),
    ('proto_net', 'ProtoNet', [], CONV4_POOLING, False),
    ('relation_net', 'RelationNet', RELATION_HEAD, CONV4_NO_POOL_POOLING,
     False),
    ('meta_baseline', 'MetaBaseline', META_BASELINE_HEAD, CONV4_POOLING,
     False),
    ('maml', 'MAML', LINEAR_HEAD, CONV4_POOLING, True),
)

for _method, _type, _head, _pooling, _maml in _METHODS:
    if _method not in ORIGINAL_CONVERTERS:
        register_original_converter(
            _converter(_method, _head, _pooling, _maml), _type)

#: our classifier type -> the original's method name
METHOD_OF_CLASSIFIER: Dict[str, str] = {
    classifier_type: method
    for method, classifier_type, *_ in _METHODS
}


def is_original_checkpoint(checkpoint: dict) -> bool:
    """Whether a loaded checkpoint was written by the original toolbox.

    Every classifier of the original registers an empty
    ``device_indicator`` buffer, and mmcv 1.x writes its version into the
    meta; neither occurs in checkpoints of ours.
    """
    if not isinstance(checkpoint, dict):
        return False
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        return False
    if any(
            key in ('device_indicator', 'module.device_indicator')
            for key in state_dict):
        return True
    meta = checkpoint.get('meta') if 'state_dict' in checkpoint else None
    version = str((meta or {}).get('mmcv_version', ''))
    return version.startswith('1.')


class _LegacyConfigDict:
    """Stands for mmcv 1.x's ``ConfigDict`` (an addict ``Dict``), the type
    of the original's checkpoint meta, which mmcv 2 no longer has: it is
    read as an ``OrderedDict``, whose items the weights-only unpickler may
    set."""

    def __new__(cls, *args, **kwargs) -> OrderedDict:
        return OrderedDict()


def _legacy_globals() -> list:
    """Safe stand-ins for the globals of an mmcv 1.x checkpoint: its config
    dicts and the numpy 1.x scalars of its meta (e.g. a best score)."""
    core = getattr(np, '_core', None) or np.core
    dtypes = [
        type(np.dtype(kind))
        for kind in (np.float64, np.float32, np.int64, np.int32, np.bool_)
    ]
    return [(_LegacyConfigDict, 'mmcv.utils.config.ConfigDict'),
            (_LegacyConfigDict, 'addict.addict.Dict'),
            (core.multiarray.scalar, 'numpy.core.multiarray.scalar'),
            (core.multiarray._reconstruct,
             'numpy.core.multiarray._reconstruct'), np.dtype, np.ndarray,
            *dtypes]


def read_original_checkpoint(filename: str) -> dict:
    """Read a checkpoint file of the original toolbox (mmcv 1.x) or ours.

    ``torch.load`` with ``weights_only=True``: the mmcv 1.x config dicts of
    the meta become ``OrderedDict``, numpy scalars stay numpy scalars, and
    nothing else outside torch's allow-list is unpickled.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: naming the file when it cannot be read or is not
            a dict.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    # only what is not allowed yet: leaving the context forgets what it
    # added, which must not include the globals allowed for good
    allowed = set(torch.serialization.get_safe_globals())
    extra = [entry for entry in _legacy_globals() if entry not in allowed]
    try:
        with torch.serialization.safe_globals(extra):
            checkpoint = torch.load(
                filename, map_location='cpu', weights_only=True)
    except read_checkpoint_errors() as error:
        problem = checkpoint_problem(filename) or (
            f'cannot be read ({type(error).__name__})')
        raise CheckpointError(f'checkpoint {filename} {problem}') from error
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'checkpoint {filename} holds a '
                              f'{type(checkpoint).__name__}, not a dict')
    return checkpoint


def original_method(model: torch.nn.Module) -> str:
    """The original's method name of a classifier of ours.

    Raises:
        CheckpointError: the classifier is none of the original's eight.
    """
    for cls in type(model).__mro__:
        if cls.__name__ in METHOD_OF_CLASSIFIER:
            return METHOD_OF_CLASSIFIER[cls.__name__]
    raise CheckpointError(
        f'{type(model).__name__} has no counterpart in the original toolbox, '
        'so its checkpoints cannot be converted')


def converter_command(filename: str, method: str) -> str:
    """The command that converts ``filename`` once, for messages."""
    root, _ = osp.splitext(filename)
    return (f'python {CONVERTER_TOOL} {filename} {root}_converted.pth '
            f'--method {method}')


def _fit_or_raise(model: torch.nn.Module, state_dict: StateDict, filename: str,
                  method: str) -> None:
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mis_shaped = sorted(
        key for key in set(own) & set(state_dict)
        if state_dict[key].shape != own[key].shape)
    if missing or unexpected or mis_shaped:
        problems = [
            f'{name}: {", ".join(keys[:8])}'
            for name, keys in (('missing', missing), ('unexpected',
                                                      unexpected),
                               ('mis-shaped', mis_shaped)) if keys
        ]
        raise CheckpointMismatchError(
            f'checkpoint {filename} of the original toolbox, converted as '
            f'{method}, does not fit {type(model).__name__} ('
            f'{"; ".join(problems)}): is the config the one it was trained '
            'with?')


def load_classifier_checkpoint(model: torch.nn.Module,
                               filename: str,
                               logger: Optional[object] = 'current') -> dict:
    """Load a checkpoint of ours, or one of the original toolbox converted
    on the fly, into a classifier.

    A checkpoint of the original (see :func:`is_original_checkpoint`; read
    by :func:`read_original_checkpoint`) is converted with the converter of
    the model's method and the log says so, with the command that converts
    the file once. Anything else must fit the model exactly
    (:func:`mmfewshot.utils.load_checkpoint_strict`).

    Args:
        model: A classifier of ours (or a wrapper of one).
        filename: Checkpoint path.
        logger: Where the conversion is logged (mmengine ``print_log``).

    Returns:
        The meta of the checkpoint (of the converted one for an original).

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: unreadable file, an original key no rule claims
            (:class:`UnmappedKeyError`), or weights that do not fit.
    """
    if is_model_wrapper(model):
        model = model.module
    try:
        return load_checkpoint_strict(model, filename)
    except CheckpointError as error:
        # an original checkpoint has other key names, and mmengine cannot
        # read one whose meta holds mmcv 1.x objects: read it as one
        try:
            checkpoint = read_original_checkpoint(filename)
        except CheckpointError:
            raise error
        if not is_original_checkpoint(checkpoint):
            raise error
    method = original_method(model)
    converted = convert_original_checkpoint(checkpoint, method)
    _fit_or_raise(model, converted['state_dict'], filename, method)
    model.load_state_dict(converted['state_dict'])
    print_log(
        f'{filename} is a checkpoint of the original toolbox: converted on '
        f'the fly as {method}; to convert it once: '
        f'{converter_command(filename, method)}',
        logger=logger)
    return converted['meta']
