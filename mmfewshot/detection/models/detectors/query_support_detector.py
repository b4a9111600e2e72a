"""The common part of the query-support detectors: a two-stage detector
conditioned on support instances, with a cache of per-class support
features built by model initialisation."""
import copy
from abc import abstractmethod
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmdet.models.detectors import BaseDetector
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from ..utils import support_labels

SupportCache = Dict[int, Dict[str, Tensor]]


class QuerySupportDetector(BaseDetector):
    """Base class of detectors whose heads look at support instances.

    During training every batch holds query images and support instances
    (``mode='loss'``). Before evaluation, model initialisation runs the
    support set through the detector in batches (``mode='model_init'``),
    which adds up the support features of every class, and
    :meth:`model_init` turns the sums into the per-class means that
    :meth:`predict` uses (``support_cache``). The cache is emptied whenever
    the detector trains (``train()`` or a ``loss`` call), so a cache made
    with older weights can never be evaluated; predicting without one is an
    error. The validation and test loops of
    :mod:`mmfewshot.detection.engine` run model initialisation by
    themselves, and :func:`mmfewshot.detection.apis.process_support_images`
    does it for images of the user's own.

    A subclass says which features of a support instance are kept
    (:meth:`extract_support_instance_feats`) and how the heads use the cache
    (:meth:`predict_with_support`). Its RPN either is an ordinary one on the
    query features or, when the head class sets
    ``conditioned_on_support = True``, takes the support features too.

    Args:
        backbone: Config of the query backbone.
        rpn_head: Config of the RPN head (``num_classes`` is set to 1).
        roi_head: Config of the RoI head; its ``loss`` takes
            ``(query_feats, support_feats, rpn_results_list,
            batch_data_samples, support_data_samples)``.
        neck: Config of the query neck.
        support_backbone: Config of a backbone for support images only;
            None shares the query backbone.
        support_neck: Config of a neck for support features only.
        train_cfg: ``rpn``, ``rpn_proposal`` and ``rcnn`` training settings.
        test_cfg: ``rpn`` and ``rcnn`` test settings.
        data_preprocessor: Config of the data preprocessor, normally a
            ``QuerySupportDataPreprocessor``.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 rpn_head: dict,
                 roi_head: dict,
                 neck: Optional[dict] = None,
                 support_backbone: Optional[dict] = None,
                 support_neck: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        # without their own config, support images go through the query
        # backbone (kept as one module: no duplicate weights in checkpoints)
        if support_backbone is not None:
            self.support_backbone = MODELS.build(support_backbone)
        if support_neck is not None:
            self.support_neck = MODELS.build(support_neck)
        rpn_head = copy.deepcopy(rpn_head)
        rpn_head.update(
            num_classes=1,
            train_cfg=train_cfg.rpn if train_cfg is not None else None,
            test_cfg=test_cfg.rpn)
        self.rpn_head = MODELS.build(rpn_head)
        roi_head = copy.deepcopy(roi_head)
        roi_head.update(
            train_cfg=train_cfg.rcnn if train_cfg is not None else None,
            test_cfg=test_cfg.rcnn)
        self.roi_head = MODELS.build(roi_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self._support_sums: SupportCache = {}
        self._support_counts: Dict[int, int] = {}
        self.support_cache: SupportCache = {}

    # ------------------------------------------------------------ features
    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """Features of query images.

        Args:
            batch_inputs: Query images, (N, C, H, W).

        Returns:
            The backbone (and neck) features, level by level.
        """
        feats = self.backbone(batch_inputs)
        if self.with_neck:
            feats = self.neck(feats)
        return feats

    def extract_support_feat(self, support_inputs: Tensor) -> Tuple[Tensor]:
        """Features of support images (the support backbone and neck when
        configured, else the query backbone).

        Args:
            support_inputs: Support images, (N, C, H, W).

        Returns:
            The features, level by level.
        """
        backbone = getattr(self, 'support_backbone', self.backbone)
        feats = backbone(support_inputs)
        if hasattr(self, 'support_neck'):
            feats = self.support_neck(feats)
        return feats

    @abstractmethod
    def extract_support_instance_feats(
            self, support_inputs: Tensor,
            support_data_samples: SampleList) -> Dict[str, Tensor]:
        """The features kept for every support instance.

        Args:
            support_inputs: Support images, (N, C, H, W).
            support_data_samples: One sample per image, one instance each.

        Returns:
            ``{name: tensor}``, each tensor of shape (N, ...); the cache holds
            their per-class means under the same names.
        """

    @abstractmethod
    def predict_with_support(self, query_feats: Tuple[Tensor],
                             batch_data_samples: SampleList,
                             support_cache: SupportCache,
                             rescale: bool) -> InstanceList:
        """Detections of every image given the cached support features.

        Args:
            query_feats: Features of the query images.
            batch_data_samples: The query samples (their ``metainfo``).
            support_cache: ``{label: {name: mean feature}}`` on the device
                of the features.
            rescale: Return boxes in original image coordinates.

        Returns:
            One ``InstanceData`` (``bboxes``, ``scores``, ``labels``) per
            image.
        """

    # ------------------------------------------------------------- forward
    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[SampleList] = None,
        mode: str = 'tensor',
        support_inputs: Optional[Tensor] = None,
        support_data_samples: Optional[SampleList] = None
    ) -> Union[dict, list, tuple]:
        """Run one of the modes.

        - ``'loss'``: query images ``inputs`` / ``data_samples`` with their
          support instances ``support_inputs`` / ``support_data_samples``;
          returns the losses.
        - ``'predict'``: query images; returns ``DetDataSample`` s with
          ``pred_instances`` (needs the support cache).
        - ``'model_init'``: support images ``inputs`` / ``data_samples``;
          adds their features to the per-class sums and returns them.
        - ``'tensor'``: query images; returns their features.

        Args:
            inputs: Images of the mode, (N, C, H, W).
            data_samples: Their samples.
            mode: ``'loss'``, ``'predict'``, ``'model_init'`` or
                ``'tensor'``.
            support_inputs: Support images of a training batch.
            support_data_samples: Their samples.

        Returns:
            What the mode returns.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples, support_inputs,
                             support_data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'model_init':
            return self.forward_model_init(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'invalid mode {mode!r} of {type(self).__name__}: '
                           "use 'loss', 'predict', 'model_init' or 'tensor'")

    def _forward(
            self,
            batch_inputs: Tensor,
            batch_data_samples: Optional[SampleList] = None) -> Tuple[Tensor]:
        """The query features (the support-free part of the network)."""
        return self.extract_feat(batch_inputs)

    def loss(self,
             batch_inputs: Tensor,
             batch_data_samples: SampleList,
             support_inputs: Optional[Tensor] = None,
             support_data_samples: Optional[SampleList] = None) -> dict:
        """Losses of a batch of query images and their support instances.

        Args:
            batch_inputs: Query images, (N, C, H, W).
            batch_data_samples: Query samples with ``gt_instances``.
            support_inputs: Support images, (M, C, H, W).
            support_data_samples: Support samples, one instance each.

        Returns:
            The RPN losses (``loss_rpn_*``) and the RoI head's losses.
        """
        if support_inputs is None or support_data_samples is None:
            raise ValueError(
                f'{type(self).__name__} trains on batches of query images '
                'and support instances ({"query_data": ..., '
                '"support_data": ...}), got query images only')
        self.reset_model_init()
        query_feats = self.extract_feat(batch_inputs)
        support_feats = self.extract_support_feat(support_inputs)
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        # the RPN is class-agnostic
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for data_sample in rpn_data_samples:
            data_sample.gt_instances.labels = torch.zeros_like(
                data_sample.gt_instances.labels)
        if getattr(self.rpn_head, 'conditioned_on_support', False):
            rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
                query_feats,
                support_feats,
                rpn_data_samples,
                support_data_samples,
                proposal_cfg=proposal_cfg)
        else:
            rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
                query_feats, rpn_data_samples, proposal_cfg=proposal_cfg)
        losses = {
            key if 'rpn' in key or 'loss' not in key else f'rpn_{key}': value
            for key, value in rpn_losses.items()
        }
        losses.update(
            self.roi_head.loss(query_feats, support_feats, rpn_results_list,
                               batch_data_samples, support_data_samples))
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detect objects of the cached support classes in query images.

        Args:
            batch_inputs: Query images, (N, C, H, W); any batch size.
            batch_data_samples: Their samples.
            rescale: Return boxes in original image coordinates.

        Returns:
            The samples with ``pred_instances`` (``bboxes``, ``scores``,
            ``labels``: the class labels of the support set).

        Raises:
            RuntimeError: when there is no support cache.
        """
        if not self.support_cache:
            raise RuntimeError(
                f'{type(self).__name__} has no support features to detect '
                'with: run model initialisation first (support batches with '
                "mode='model_init', then model_init(); the validation and "
                'test loops and process_support_images() do it)')
        query_feats = self.extract_feat(batch_inputs)
        device = query_feats[0].device
        support_cache = {
            label: {
                name: feat.to(device)
                for name, feat in feats.items()
            }
            for label, feats in self.support_cache.items()
        }
        results_list = self.predict_with_support(query_feats,
                                                 batch_data_samples,
                                                 support_cache, rescale)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

    # ---------------------------------------------------- model initialising
    def forward_model_init(
            self, support_inputs: Tensor,
            support_data_samples: SampleList) -> Dict[str, Tensor]:
        """Add the features of a batch of support instances to the sums of
        their classes (and drop a finished cache).

        Args:
            support_inputs: Support images, (N, C, H, W).
            support_data_samples: Their samples, one instance each.

        Returns:
            The instance features (:meth:`extract_support_instance_feats`)
            and their ``labels``.
        """
        labels = support_labels(support_data_samples)
        feats = self.extract_support_instance_feats(support_inputs,
                                                    support_data_samples)
        self.support_cache = {}
        for label in labels.unique().tolist():
            chosen = labels == label
            sums = self._support_sums.setdefault(label, {})
            for name, feat in feats.items():
                total = feat[chosen].detach().sum(0)
                sums[name] = sums[name] + total if name in sums else total
            self._support_counts[label] = self._support_counts.get(
                label, 0) + int(chosen.sum())
        return dict(feats, labels=labels)

    def model_init(self) -> None:
        """Turn the accumulated sums into the per-class means of
        ``support_cache`` and start new sums.

        Raises:
            RuntimeError: when no support instance has been seen.
        """
        if not self._support_counts:
            raise RuntimeError(
                f'{type(self).__name__}.model_init(): no support features '
                "were accumulated (forward support batches with mode="
                "'model_init' first)")
        self.support_cache = {
            label: {
                name: total / self._support_counts[label]
                for name, total in self._support_sums[label].items()
            }
            for label in sorted(self._support_counts)
        }
        self._support_sums = {}
        self._support_counts = {}

    def reset_model_init(self) -> None:
        """Forget the cache and the accumulated sums."""
        self.support_cache = {}
        self._support_sums = {}
        self._support_counts = {}

    def train(self, mode: bool = True) -> nn.Module:
        """Set the training mode; training drops the support cache."""
        super().train(mode)
        if mode:
            self.reset_model_init()
        return self
