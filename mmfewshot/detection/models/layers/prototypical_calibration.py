"""The Prototypical Calibration Block of DeFRCN: test-time re-scoring of
detections by their similarity to few-shot class prototypes."""
import copy
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import roi_align
from mmdet.structures.bbox import bbox2roi
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import CheckpointError, ConfigError
from mmfewshot.utils.checkpoint import read_checkpoint_errors

# torchvision's ResNet-101 (the authors' ImageNet classifier) in mmdet's
# ResNet, whose parameter names are torchvision's
DEFAULT_BACKBONE = dict(
    type='ResNet',
    depth=101,
    num_stages=4,
    out_indices=(3, ),
    style='pytorch',
    norm_cfg=dict(type='BN', requires_grad=False),
    norm_eval=True,
    init_cfg=None)
DEFAULT_FC = dict(in_features=2048, out_features=1000)
CALIBRATED_CLASSES = ('novel', 'all')


def calibrate_scores(scores: Tensor,
                     labels: Tensor,
                     embeddings: Tensor,
                     prototypes: Dict[int, Tensor],
                     calibrated_labels: Sequence[int],
                     alpha: float = 0.5,
                     score_range: Sequence[float] = (0.05, 1.0)) -> Tensor:
    """Mix detection scores with the cosine similarity of each detection's
    embedding to the prototype of its class (DeFRCN's PCB).

    ``new_score = alpha * score + (1 - alpha) * cos(embedding,
    prototypes[label])`` for every detection with ``score_range[0] < score
    <= score_range[1]`` whose label is in ``calibrated_labels`` and has a
    prototype; the other scores are kept (the authors'
    ``execute_calibration`` with ``PCB_ALPHA``, ``PCB_LOWER``,
    ``PCB_UPPER``).

    Args:
        scores: Detection scores, (N, ).
        labels: Their class labels, (N, ).
        embeddings: Their embeddings, (N, D); rows of detections that are
            not calibrated are not read.
        prototypes: ``{label: (D, ) prototype}``.
        calibrated_labels: The labels whose detections are re-scored.
        alpha: The weight of the detector's score.
        score_range: ``(lower, upper)``: only scores in ``(lower, upper]``
            are re-scored.

    Returns:
        The new scores, (N, ), a new tensor.
    """
    lower, upper = score_range
    chosen = [label for label in calibrated_labels if int(label) in prototypes]
    new_scores = scores.clone()
    if not chosen or scores.numel() == 0:
        return new_scores
    mask = (scores > lower) & (scores <= upper) & torch.isin(
        labels, labels.new_tensor(chosen))
    if not mask.any():
        return new_scores
    rows = mask.nonzero(as_tuple=True)[0]
    class_prototypes = torch.stack([
        prototypes[int(label)] for label in labels[rows].tolist()
    ]).to(embeddings.device, embeddings.dtype)
    cosine = F.cosine_similarity(embeddings[rows], class_prototypes, dim=1)
    new_scores[rows] = alpha * scores[rows] + (1 - alpha) * cosine.to(
        scores.dtype)
    return new_scores


def _split_classifier_state(state_dict: Dict[str, Tensor],
                            with_fc: bool) -> Tuple[dict, dict]:
    """The backbone and classifier-layer weights of an image classifier
    checkpoint: torchvision (``conv1.*``, ``layer1.*``, ``fc.*``), mmpretrain
    (``backbone.*``, ``head.fc.*``) or a detector (``backbone.*``)."""
    if any(key.startswith('backbone.') for key in state_dict):
        backbone = {
            key[len('backbone.'):]: value
            for key, value in state_dict.items() if key.startswith('backbone.')
        }
    else:
        backbone = {
            key: value
            for key, value in state_dict.items() if not key.startswith('fc.')
        }
    fc = {}
    if with_fc:
        for prefix in ('head.fc.', 'fc.'):
            fc = {
                key[len(prefix):]: value
                for key, value in state_dict.items() if key.startswith(prefix)
            }
            if fc:
                break
    return backbone, fc


@MODELS.register_module()
class PrototypicalCalibrationBlock(nn.Module):
    """Prototypical Calibration Block of `DeFRCN
    <https://arxiv.org/abs/2108.09017>`_ (Qiao et al., ICCV 2021).

    An image classifier trained apart from the detector (the authors:
    torchvision's ImageNet ResNet-101) embeds boxes: the image at its
    original resolution goes through the backbone, each box is pooled to
    1x1 by RoIAlign (aligned, adaptive sampling) on the last feature map
    (stride 32), and the classifier's last layer ``fc`` maps the pooled
    feature to the embedding (the 1000 ImageNet logits). Before testing, the
    boxes of the few-shot support set are embedded and averaged per class
    into prototypes (:meth:`add_support`, :meth:`build_prototypes`); at test
    time every detection is re-scored by :func:`calibrate_scores` (the
    authors: ``alpha=0.5``, scores in (0.05, 1.0], base classes left alone
    in generalised few-shot detection).

    The classifier's weights come from ``checkpoint`` (torchvision's
    ``resnet101-5d3b4d8f.pth``, an mmpretrain ResNet-101 checkpoint, or any
    checkpoint whose ``backbone.*`` weights fit ``backbone``). They are no
    part of the detector: not in its ``state_dict`` or optimizer, always in
    eval mode, built and loaded on first use (:meth:`load_weights`).

    Args:
        checkpoint: The classifier's weights file; None keeps random
            weights (tests), with a warning.
        backbone: Config of the classifier's backbone (a registered backbone
            whose last output is the feature map to pool); by default
            torchvision's ResNet-101 as mmdet's ``ResNet``.
        fc: ``dict(in_features, out_features)`` of the classifier's last
            layer, or None to embed with the pooled feature itself.
        featmap_stride: Stride of the pooled feature map.
        alpha: Weight of the detector's score in the mix.
        score_range: Only detections with a score in ``(lower, upper]`` are
            re-scored.
        calibrated_classes: ``'novel'``: only the novel classes of the
            detector's ``dataset_meta`` (the authors' rule: base classes are
            skipped in generalised few-shot detection, every class is novel
            in few-shot detection); ``'all'``: every class with a prototype.
        rename_prefixes: ``{old: new}`` prefixes of the checkpoint's keys
            to rename before loading, e.g. ``{'roi_head.shared_head.':
            'backbone.'}`` to read a C4 detector's res5 head as the last
            stage of the classifier's backbone.

    Raises:
        ConfigError: on a bad ``alpha``, ``score_range`` or
            ``calibrated_classes``.
    """

    def __init__(self,
                 checkpoint: Optional[str],
                 backbone: Optional[dict] = None,
                 fc: Optional[dict] = DEFAULT_FC,
                 featmap_stride: int = 32,
                 alpha: float = 0.5,
                 score_range: Sequence[float] = (0.05, 1.0),
                 calibrated_classes: str = 'novel',
                 rename_prefixes: Optional[Dict[str, str]] = None) -> None:
        super().__init__()
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(
                f'calibration.alpha must be in [0, 1], got {alpha}')
        if len(score_range) != 2 or score_range[0] > score_range[1]:
            raise ConfigError('calibration.score_range must be (lower, '
                              f'upper) with lower <= upper, got {score_range}')
        if calibrated_classes not in CALIBRATED_CLASSES:
            raise ConfigError(
                f'calibration.calibrated_classes must be one of '
                f'{list(CALIBRATED_CLASSES)}, got {calibrated_classes!r}')
        self.checkpoint = checkpoint
        self.featmap_stride = featmap_stride
        self.alpha = float(alpha)
        self.score_range = (float(score_range[0]), float(score_range[1]))
        self.calibrated_classes = calibrated_classes
        self.rename_prefixes = dict(rename_prefixes or {})
        self.backbone_cfg = copy.deepcopy(backbone or DEFAULT_BACKBONE)
        self.fc_cfg = copy.deepcopy(fc)
        # built with its weights on first use (load_weights), and kept
        # outside the module tree: not in the detector's state_dict,
        # parameters, optimizer or DDP buffers, never in training mode
        self.__dict__['classifier'] = None
        self.prototypes: Dict[int, Tensor] = {}
        self.calibrated_labels: List[int] = []
        self._sums: Dict[int, Tensor] = {}
        self._counts: Dict[int, int] = {}

    # ------------------------------------------------------------- weights
    def _build_classifier(self) -> nn.ModuleDict:
        classifier = nn.ModuleDict(
            dict(backbone=MODELS.build(copy.deepcopy(self.backbone_cfg))))
        if self.fc_cfg is not None:
            classifier['fc'] = nn.Linear(**self.fc_cfg)
        return classifier.eval().requires_grad_(False)

    def load_weights(self) -> None:
        """Build the classifier and load its weights from ``checkpoint``
        (once).

        Raises:
            FileNotFoundError: naming ``calibration.checkpoint`` and the
                file when it does not exist.
            CheckpointError: naming the file when it cannot be read or its
                weights do not fit the classifier.
        """
        if self.classifier is not None:
            return
        path = self.checkpoint
        if path is None:
            print_log(
                'calibration.checkpoint is None: the calibration block '
                'embeds with random weights',
                logger='current')
            self.__dict__['classifier'] = self._build_classifier()
            return
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'calibration.checkpoint: {path} does not exist (the weights '
                'of the image classifier of the calibration block, e.g. '
                "torchvision's resnet101-5d3b4d8f.pth)")
        try:
            checkpoint = _load_checkpoint(path, map_location='cpu')
        except read_checkpoint_errors() as error:
            raise CheckpointError(
                f'calibration.checkpoint {path} cannot be read '
                f'({type(error).__name__})') from error
        if not isinstance(checkpoint, dict):
            raise CheckpointError(f'calibration.checkpoint {path} is not a '
                                  'dict of weights')
        state_dict = checkpoint.get('state_dict',
                                    checkpoint.get('model', checkpoint))
        for old, new in self.rename_prefixes.items():
            state_dict = {
                new + key[len(old):] if key.startswith(old) else key: value
                for key, value in state_dict.items()
            }
        classifier = self._build_classifier()
        with_fc = 'fc' in classifier
        backbone_state, fc_state = _split_classifier_state(state_dict, with_fc)
        parts = [('backbone', backbone_state)]
        if with_fc:
            parts.append(('fc', fc_state))
        for name, part_state in parts:
            module = classifier[name]
            own = module.state_dict()
            missing = sorted(
                key for key in own if key not in part_state
                and not key.endswith('num_batches_tracked'))
            mis_shaped = sorted(
                key for key in own if key in part_state
                and tuple(part_state[key].shape) != tuple(own[key].shape))
            if missing or mis_shaped:
                problem = (f'misses {missing[0]}'
                           if missing else f'has {mis_shaped[0]} of shape '
                           f'{tuple(part_state[mis_shaped[0]].shape)}, '
                           f'not {tuple(own[mis_shaped[0]].shape)}')
                raise CheckpointError(
                    f'calibration.checkpoint {path} does not fit the '
                    f'classifier {name} ({len(missing)} missing, '
                    f'{len(mis_shaped)} mis-shaped tensors): it {problem}')
            module.load_state_dict(
                {key: part_state[key]
                 for key in own if key in part_state},
                strict=False)
        self.__dict__['classifier'] = classifier

    # ----------------------------------------------------------- embedding
    @torch.no_grad()
    def embed(self, images: Tensor, boxes: List[Tensor]) -> Tensor:
        """Embeddings of boxes.

        Args:
            images: Normalised images, (N, 3, H, W).
            boxes: For each image the boxes ``[x1, y1, x2, y2]`` in its
                pixels, (n_i, 4).

        Returns:
            The embeddings of all boxes, image by image, (sum n_i, D).
        """
        self.load_weights()
        classifier = self.classifier
        parameter = next(classifier.parameters())
        if parameter.device != images.device:
            classifier.to(images.device)
        feats = classifier['backbone'](images.to(parameter.dtype))[-1]
        rois = bbox2roi([b.to(feats.dtype) for b in boxes])
        pooled = roi_align(feats, rois, 1, 1.0 / self.featmap_stride, 0, 'avg',
                           True).flatten(1)
        if 'fc' in classifier:
            return classifier['fc'](pooled)
        return pooled

    # ---------------------------------------------------------- prototypes
    def reset(self) -> None:
        """Forget the prototypes and the accumulated support embeddings."""
        self.prototypes = {}
        self.calibrated_labels = []
        self._sums = {}
        self._counts = {}

    def add_support(self, images: Tensor, boxes: List[Tensor],
                    labels: Tensor) -> Tensor:
        """Add the embeddings of support boxes to the sums of their classes.

        Args:
            images: Normalised support images, (N, 3, H, W).
            boxes: Their boxes, image by image, (n_i, 4) each.
            labels: The labels of all boxes, (sum n_i, ).

        Returns:
            The embeddings, (sum n_i, D).
        """
        embeddings = self.embed(images, boxes)
        self.prototypes = {}
        for label in labels.unique().tolist():
            chosen = labels == label
            total = embeddings[chosen].sum(0)
            self._sums[label] = self._sums[label] + total \
                if label in self._sums else total
            self._counts[label] = self._counts.get(label, 0) + int(
                chosen.sum())
        return embeddings

    def build_prototypes(self, dataset_meta: Optional[dict] = None) -> None:
        """Turn the sums into per-class mean embeddings and choose the
        calibrated classes.

        Args:
            dataset_meta: ``classes`` (names by label) and ``novel_classes``
                of the support set; needed for ``calibrated_classes='novel'``.

        Raises:
            RuntimeError: when no support box was added.
            ConfigError: ``'novel'`` without ``dataset_meta`` naming the
                classes.
        """
        if not self._counts:
            raise RuntimeError(
                'PrototypicalCalibrationBlock: no support boxes were added, '
                'so there are no class prototypes')
        self.prototypes = {
            label: self._sums[label] / self._counts[label]
            for label in sorted(self._counts)
        }
        self._sums, self._counts = {}, {}
        if self.calibrated_classes == 'all':
            self.calibrated_labels = sorted(self.prototypes)
            return
        classes = (dataset_meta or {}).get('classes')
        if classes is None:
            raise ConfigError(
                "calibration.calibrated_classes='novel' needs the classes of "
                "the support set (the detector's dataset_meta); set "
                "calibrated_classes='all' to re-score every class")
        novel = set((dataset_meta or {}).get('novel_classes') or ())
        self.calibrated_labels = [
            label for label in sorted(self.prototypes)
            if label < len(classes) and classes[label] in novel
        ]
        if not self.calibrated_labels:
            print_log(
                'calibration: no class of the support set is novel, so no '
                "detection is re-scored (calibrated_classes='all' re-scores "
                'every class)',
                logger='current',
                level=logging.WARNING)

    def rescore(self, image: Tensor, bboxes: Tensor, scores: Tensor,
                labels: Tensor) -> Tensor:
        """New scores of the detections of one image.

        Args:
            image: The normalised image at the resolution of ``bboxes``,
                (1, 3, H, W).
            bboxes: Detected boxes in its pixels, (N, 4).
            scores: Their scores, (N, ).
            labels: Their labels, (N, ).

        Returns:
            The calibrated scores, (N, ).

        Raises:
            RuntimeError: when there are no prototypes.
        """
        if not self.prototypes:
            raise RuntimeError(
                'PrototypicalCalibrationBlock has no class prototypes: run '
                'model initialisation with the support set first')
        lower, upper = self.score_range
        chosen = (scores > lower) & (scores <= upper) & torch.isin(
            labels, labels.new_tensor(self.calibrated_labels))
        if not chosen.any():
            return scores.clone()
        rows = chosen.nonzero(as_tuple=True)[0]
        picked = self.embed(image, [bboxes[rows]])
        embeddings = picked.new_zeros((len(scores), picked.shape[1]))
        embeddings[rows] = picked
        return calibrate_scores(scores, labels, embeddings, self.prototypes,
                                self.calibrated_labels, self.alpha,
                                self.score_range)

    def extra_repr(self) -> str:
        return (f'checkpoint={self.checkpoint!r}, alpha={self.alpha}, '
                f'score_range={self.score_range}, '
                f'calibrated_classes={self.calibrated_classes!r}')
