"""Converters of the original toolbox's detection checkpoints (MMFewShot
0.1.0 on mmdet 2.x) for TFA, FSCE, MPSR, Meta R-CNN, FSDetView and
Attention-RPN.

The rules list every module of the original models as its release configs
build them (checked against the key lists of those models, built in the
reference environment): the mmdet 2.x parts (ResNet, FPN, RPN, RoI heads)
have the same parameter names in mmdet 3.3, and our few-shot modules keep
the original's names, so almost every key keeps its name. What changes:

- the query-support detectors of the original register their backbone a
  second time as ``support_backbone`` (the support images share it); the
  copy is checked equal to ``backbone`` and dropped (ours keeps one
  module);
- a learnable cosine scale (``learnable_scale=True``, off in the released
  configs) is a (1,) tensor in the original, a scalar here;
- the support set a query-support checkpoint carries for model
  initialisation (``meta['model_init_ann_cfg']``, mmdet 2.x data infos)
  becomes our ``meta['support_set']`` (mmdet 3 items), so that
  ``tools/detection/test.py`` initialises the model with the same
  instances.

A key outside these rules (another method's checkpoint, a custom module)
is an error that names it.
"""
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
from torch import Tensor
from torch.nn import Module

from mmfewshot.utils import CheckpointError, load_checkpoint_strict
from mmfewshot.utils.original_checkpoint import (OriginalConverter, RenameRule,
                                                 refuse_original_checkpoint,
                                                 register_original_converter)

# a parameter or a buffer of a layer (BN buffers included)
_TENSOR = r'(weight|bias|running_mean|running_var|num_batches_tracked)'


def _keep(prefix: str) -> RenameRule:
    """Keep every tensor below ``prefix`` (a regular expression) under its
    name."""
    return RenameRule(rf'^({prefix})\.', r'\1.')


def _keep_layers(prefix: str, layers: str) -> RenameRule:
    """Keep the tensors of the named layers below ``prefix``."""
    return RenameRule(rf'^({prefix}\.(?:{layers})\.{_TENSOR})$', r'\1')


# mmdet 2.x ResNet / ResNetWithMetaConv, FPN and ResLayer: same names in
# mmdet 3.3
_BACKBONE = _keep('backbone')
_NECK = _keep_layers('neck', r'(?:lateral_convs|fpn_convs)\.\d+\.conv')
_RPN = _keep_layers('rpn_head', 'rpn_conv|rpn_cls|rpn_reg')
_SHARED_HEAD = _keep(r'roi_head\.shared_head\.layer\d')
_SUPPORT_BACKBONE = RenameRule(
    r'^support_backbone\.',
    'backbone.',
    reason='the original registers the shared query backbone a second time '
    'as support_backbone; ours keeps one module',
    alias=True)


def _scalar_scale(value: Tensor) -> Tensor:
    """A learnable cosine scale: (1,) in the original, a scalar here."""
    return value.reshape(())


_COSINE_SCALE = RenameRule(
    r'^(roi_head\.bbox_head\.scale)$', r'\1', transform=_scalar_scale)


def _fpn_rules(bbox_layers: str) -> List[RenameRule]:
    return [
        _BACKBONE, _NECK, _RPN,
        _keep_layers('roi_head.bbox_head', bbox_layers), _COSINE_SCALE
    ]


# ------------------------------------------------------- support-set meta
VOC_IMG_PREFIX = 'data/VOCdevkit/'
COCO_IMG_PREFIX = 'data/coco/'
MODEL_INIT_KEY = 'model_init_ann_cfg'


def _default_img_prefix(filename: str) -> str:
    """The ``img_prefix`` of the original's dataset configs: VOC image
    files are ``VOC<year>/JPEGImages/...`` below ``data/VOCdevkit/``, COCO
    ones ``train2014/...`` below ``data/coco/``."""
    return VOC_IMG_PREFIX if re.match(r'VOC\d{4}/', filename) else \
        COCO_IMG_PREFIX


def _as_rows(value: object, width: int) -> np.ndarray:
    array = np.asarray(value if value is not None else [], dtype=np.float64)
    return array.reshape(-1, width) if width else array.reshape(-1)


def _support_items(data_info: dict, img_prefix: Optional[str],
                   index: int) -> List[dict]:
    """Our items (one per instance) of one original data info."""
    filename = data_info.get('filename')
    ann = data_info.get('ann')
    if not isinstance(filename, str) or not isinstance(ann, dict):
        raise CheckpointError(
            f'meta.{MODEL_INIT_KEY}: data info {index} has no filename and '
            'ann')
    bboxes = _as_rows(ann.get('bboxes'), 4)
    labels = _as_rows(ann.get('labels'), 0).astype(int)
    if len(bboxes) != len(labels):
        raise CheckpointError(
            f'meta.{MODEL_INIT_KEY}: {filename} has {len(bboxes)} boxes and '
            f'{len(labels)} labels')
    prefix = _default_img_prefix(filename) if img_prefix is None \
        else img_prefix
    # the original's VOC boxes are the file's minus (1, 1, 0, 0), ours the
    # file's minus 1 on all four; COCO boxes are the same in both
    if re.match(r'VOC\d{4}/', filename):
        bboxes = bboxes - np.array([0., 0., 1., 1.])
    return [
        dict(
            img_path=osp.join(prefix, filename),
            img_id=str(
                data_info.get('id',
                              osp.splitext(osp.basename(filename))[0])),
            height=int(data_info.get('height', 0)),
            width=int(data_info.get('width', 0)),
            instances=[
                dict(
                    bbox=[float(v) for v in bbox],
                    bbox_label=int(label),
                    ignore_flag=0)
            ]) for bbox, label in zip(bboxes, labels)
    ]


def convert_support_set(meta: dict, options: dict) -> Dict[str, dict]:
    """Our ``meta['support_set']`` from the original's
    ``meta['model_init_ann_cfg']``.

    Args:
        meta: The original checkpoint's meta (``CLASSES``,
            ``model_init_ann_cfg = [dict(data_infos=[...])]``).
        options: ``support_img_prefix`` (the ``img_prefix`` of the
            original's model-init dataset; default ``data/VOCdevkit/`` for
            VOC files, ``data/coco/`` otherwise) and ``class_names`` (the
            classes the labels index; default ``meta['CLASSES']``).

    Returns:
        ``{'support_set': {'classes': [...], 'data_list': [...]}}``, or
        nothing when the checkpoint carries no support set.

    Raises:
        CheckpointError: a support set without classes or with malformed
            data infos.
    """
    ann_cfg = meta.get(MODEL_INIT_KEY)
    if not ann_cfg:
        return {}
    classes = options.get('class_names') or meta.get('CLASSES')
    if not classes:
        raise CheckpointError(
            f'meta.{MODEL_INIT_KEY}: the labels of the support set index '
            'classes the checkpoint does not name (no meta.CLASSES): pass '
            '--classes')
    img_prefix = options.get('support_img_prefix')
    data_list: List[dict] = []
    for entry in ann_cfg:
        infos = entry.get('data_infos') if isinstance(entry, dict) else None
        if infos is None:
            raise CheckpointError(
                f'meta.{MODEL_INIT_KEY}: only data_infos entries convert '
                f'(the copied support set), got {entry!r:.80}')
        for info in infos:
            data_list.extend(_support_items(info, img_prefix, len(data_list)))
    for item in data_list:
        label = item['instances'][0]['bbox_label']
        if not 0 <= label < len(classes):
            raise CheckpointError(
                f'meta.{MODEL_INIT_KEY}: {item["img_path"]} has label '
                f'{label}, outside the {len(classes)} classes')
    return {'support_set': dict(classes=list(classes), data_list=data_list)}


# ------------------------------------------------------------- converters
_FPN_BBOX_HEAD = r'shared_fcs\.\d+|fc_cls|fc_reg'

TFA = OriginalConverter(
    method='tfa', field='detection', rules=_fpn_rules(_FPN_BBOX_HEAD))

FSCE = OriginalConverter(
    method='fsce',
    field='detection',
    rules=_fpn_rules(_FPN_BBOX_HEAD + r'|contrastive_head\.[02]'))

MPSR = OriginalConverter(
    method='mpsr',
    field='detection',
    rules=[
        _BACKBONE, _NECK,
        _keep_layers('rpn_head', 'rpn_conv|rpn_cls_conv|rpn_cls|rpn_reg'),
        _keep_layers('roi_head.bbox_head',
                     r'(?:shared|cls|reg)_fcs\.\d+|fc_cls|fc_reg')
    ])

_META_RCNN_RULES = [
    _BACKBONE, _SUPPORT_BACKBONE, _RPN, _SHARED_HEAD,
    _keep_layers('roi_head.bbox_head', 'fc_cls|fc_reg|fc_meta')
]

META_RCNN = OriginalConverter(
    method='meta_rcnn',
    field='detection',
    rules=_META_RCNN_RULES,
    convert_meta=convert_support_set)

FSDETVIEW = OriginalConverter(
    method='fsdetview',
    field='detection',
    rules=_META_RCNN_RULES + [
        _keep_layers('roi_head.aggregation_layer',
                     r'aggregator_list\.\d+\.(?:fc|norm)')
    ],
    convert_meta=convert_support_set)

ATTENTION_RPN = OriginalConverter(
    method='attention_rpn',
    field='detection',
    rules=[
        _BACKBONE, _SUPPORT_BACKBONE, _RPN, _SHARED_HEAD,
        _keep_layers(
            'roi_head.bbox_head', r'patch_relation_branch\.[035]|'
            r'local_correlation_branch\.0|global_relation_branch\.[02]|'
            r'(?:patch_relation|local_correlation|global_relation)_fc_cls|'
            r'patch_relation_fc_reg')
    ],
    convert_meta=convert_support_set)

for _converter, _aliases in ((TFA, ()), (FSCE, ()), (MPSR, ()),
                             (META_RCNN, ('meta-rcnn', )), (FSDETVIEW, ()),
                             (ATTENTION_RPN, ('attention-rpn', ))):
    register_original_converter(_converter, *_aliases)

# our detector types -> the converter of the original method
METHOD_OF_DETECTOR = {
    'TFA': 'tfa',
    'FSCE': 'fsce',
    'MPSR': 'mpsr',
    'MetaRCNN': 'meta_rcnn',
    'FSDetView': 'fsdetview',
    'AttentionRPNDetector': 'attention_rpn',
}


def converter_method_of(model_cfg: Optional[dict]) -> str:
    """The converter method of a detector config (``'METHOD'`` when the
    detector type has none)."""
    model_type = str((model_cfg or {}).get('type', ''))
    return METHOD_OF_DETECTOR.get(model_type.split('.')[-1], 'METHOD')


def method_names() -> Sequence[str]:
    """The detection methods that convert."""
    return tuple(METHOD_OF_DETECTOR.values())


def load_detector_checkpoint(model: Module,
                             filename: str,
                             model_cfg: Optional[dict] = None) -> dict:
    """Load a checkpoint of ours into a detector; an unconverted checkpoint
    of the original toolbox is refused with the command that converts it.

    Args:
        model: The detector.
        filename: The checkpoint file.
        model_cfg: The detector's config (names the converter method in the
            message).

    Returns:
        The checkpoint's ``meta``.

    Raises:
        CheckpointError: an original checkpoint (naming the converter
            command), or a file that cannot be read or does not fit.
        FileNotFoundError: a missing file.
    """
    try:
        return load_checkpoint_strict(model, filename)
    except CheckpointError:
        refuse_original_checkpoint(filename, converter_method_of(model_cfg))
        raise
