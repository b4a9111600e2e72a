"""MPSR: Faster R-CNN with multi-scale object crops as extra positives."""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.structures import SampleList
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError, ConfigTypeError, DataError
from ..dense_heads import TwoBranchRPNHead
from ..roi_heads import TwoBranchRoIHead
from ..utils import FrozenParametersMixin


@MODELS.register_module()
class MPSR(FrozenParametersMixin, TwoStageDetector):
    """`MPSR <https://arxiv.org/abs/2007.09384>`_ (Wu et al., *Multi-Scale
    Positive Sample Refinement for Few-Shot Object Detection*, ECCV 2020).

    mmdet's Faster R-CNN with FPN, trained on two batches per iteration: the
    images (the ordinary losses) and square crops of single objects resized
    to several scales (an object pyramid, built by the auxiliary pipeline of
    a :class:`~mmfewshot.detection.datasets.TwoBranchDataset`). Every crop
    scale goes through the backbone and the FPN; one FPN level per scale
    feeds the RPN's objectness (:class:`TwoBranchRPNHead`, every centre
    position is an object) and one the box classifier
    (:class:`TwoBranchRoIHead`, the whole map is the object). Prediction is
    Faster R-CNN's and needs no auxiliary data.

    Training batches come from a
    :class:`~mmfewshot.detection.models.TwoBranchDataPreprocessor`, which
    adds ``auxiliary_inputs`` (one tensor per scale) and
    ``auxiliary_data_samples`` (one crop, one label each) to ``forward``.

    Args:
        rpn_select_levels: FPN level of every crop scale for the RPN (the
            original, for scales 32 to 800: ``[0, 1, 2, 3, 4, 4]``, 8x8
            maps).
        roi_select_levels: FPN level of every crop scale for the box head
            (the original: ``[0, 0, 0, 1, 2, 3]``).
        rpn_select_borders: Positions cut from each side of the RPN level
            of every scale before the RPN head (the original: ``[0, 0, 0, 0,
            0, 2]``, the 13x13 map of the 800-pixel crop becomes 9x9);
            None cuts nothing.
        frozen_parameters: Prefixes of the parameters to freeze
            (:class:`FrozenParametersMixin`).
        freeze_norm_stats: Keep normalisation layers of frozen parts in
            eval mode.
        **kwargs: Arguments of mmdet's ``TwoStageDetector`` (``backbone``,
            ``neck``, ``rpn_head``, ``roi_head``, ``train_cfg``,
            ``test_cfg``, ``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self,
                 rpn_select_levels: Sequence[int],
                 roi_select_levels: Sequence[int],
                 rpn_select_borders: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        rpn_select_borders = list(rpn_select_borders
                                  or [0] * len(rpn_select_levels))
        lengths = {
            len(rpn_select_levels),
            len(roi_select_levels),
            len(rpn_select_borders)
        }
        if not rpn_select_levels or len(lengths) != 1:
            raise ConfigError(
                'MPSR: rpn_select_levels, roi_select_levels and '
                'rpn_select_borders need one entry per auxiliary scale, got '
                f'{list(rpn_select_levels)}, {list(roi_select_levels)} and '
                f'{rpn_select_borders}')
        values = list(rpn_select_levels) + list(roi_select_levels) + \
            rpn_select_borders
        if min(values) < 0:
            raise ConfigError('MPSR: FPN levels and borders must be >= 0')
        if not isinstance(self.rpn_head, TwoBranchRPNHead) or \
                not isinstance(self.roi_head, TwoBranchRoIHead):
            raise ConfigTypeError(
                'MPSR needs rpn_head=TwoBranchRPNHead and roi_head='
                'TwoBranchRoIHead (with a TwoBranchBBoxHead), got '
                f'{type(self.rpn_head).__name__} and '
                f'{type(self.roi_head).__name__}')
        self.rpn_select_levels = list(rpn_select_levels)
        self.roi_select_levels = list(roi_select_levels)
        self.rpn_select_borders = rpn_select_borders

    def extract_auxiliary_feat(
        self, auxiliary_inputs: Sequence[Tensor]
    ) -> Tuple[List[Tensor], List[Tensor]]:
        """The selected FPN levels of the crops of every scale.

        Args:
            auxiliary_inputs: One batch of crops per scale, (N, C, S, S).

        Returns:
            The RPN features (cut by ``rpn_select_borders``) and the box
            head features, one map per scale each.

        Raises:
            DataError: The number of scales differs from the configured
                one.
            ConfigError: A selected level does not exist.
        """
        if len(auxiliary_inputs) != len(self.rpn_select_levels):
            raise DataError(
                f'MPSR got auxiliary crops at {len(auxiliary_inputs)} scales '
                f'but selects FPN levels for {len(self.rpn_select_levels)} '
                '(rpn_select_levels / roi_select_levels)')
        rpn_feats, roi_feats = [], []
        for scale, images in enumerate(auxiliary_inputs):
            feats = self.extract_feat(images)
            rpn_level = self.rpn_select_levels[scale]
            roi_level = self.roi_select_levels[scale]
            if max(rpn_level, roi_level) >= len(feats):
                raise ConfigError(
                    f'MPSR: scale {scale} selects FPN level '
                    f'{max(rpn_level, roi_level)} but the neck has '
                    f'{len(feats)} levels')
            rpn_feat = feats[rpn_level]
            border = self.rpn_select_borders[scale]
            if border:
                rpn_feat = rpn_feat[..., border:-border, border:-border]
            rpn_feats.append(rpn_feat)
            roi_feats.append(feats[roi_level])
        return rpn_feats, roi_feats

    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[SampleList] = None,
        mode: str = 'tensor',
        auxiliary_inputs: Optional[Sequence[Tensor]] = None,
        auxiliary_data_samples: Optional[Sequence[SampleList]] = None
    ) -> Union[dict, list, tuple]:
        """mmdet's ``forward``; ``mode='loss'`` also takes the auxiliary
        crops.

        Raises:
            ConfigError: Training without auxiliary crops.
        """
        if mode == 'loss':
            if auxiliary_inputs is None or auxiliary_data_samples is None:
                raise ConfigError(
                    'MPSR trains on images and auxiliary object crops: '
                    'train_dataloader needs a TwoBranchDataset and the '
                    'model a TwoBranchDataPreprocessor')
            return self.loss(inputs, data_samples, auxiliary_inputs,
                             auxiliary_data_samples)
        return super().forward(inputs, data_samples, mode)

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList,
             auxiliary_inputs: Sequence[Tensor],
             auxiliary_data_samples: Sequence[SampleList]) -> dict:
        """Losses of the images and of the auxiliary crops.

        Args:
            batch_inputs: The images, (N, C, H, W).
            batch_data_samples: Their samples with ground truth.
            auxiliary_inputs: The crops of every scale, (N_s, C, S, S).
            auxiliary_data_samples: Their samples, one instance each.

        Returns:
            Faster R-CNN's losses (``loss_rpn_cls``, ``loss_rpn_bbox``,
            ``loss_cls``, ``loss_bbox``, ``acc``) and the auxiliary ones
            (``loss_rpn_cls_auxiliary``, ``loss_cls_auxiliary``,
            ``acc_auxiliary``).

        Raises:
            DataError: An auxiliary crop does not hold exactly one instance.
        """
        x = self.extract_feat(batch_inputs)
        rpn_feats, roi_feats = self.extract_auxiliary_feat(auxiliary_inputs)
        auxiliary_labels = []
        for images, samples in zip(auxiliary_inputs, auxiliary_data_samples):
            labels = [sample.gt_instances.labels for sample in samples]
            if len(labels) != len(images) or any(
                    len(label) != 1 for label in labels):
                raise DataError('MPSR: every auxiliary crop must hold exactly '
                                'one instance (the auxiliary dataset is '
                                'read instance by instance)')
            auxiliary_labels.append(torch.cat(labels))

        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for data_sample in rpn_data_samples:
            # one class, "object", for the RPN
            data_sample.gt_instances.labels = torch.zeros_like(
                data_sample.gt_instances.labels)
        losses, rpn_results_list = self.rpn_head.loss_and_predict(
            x,
            rpn_data_samples,
            proposal_cfg=proposal_cfg,
            auxiliary_feats=rpn_feats)
        losses.update(
            self.roi_head.loss(x, rpn_results_list, batch_data_samples))
        losses.update(
            self.roi_head.auxiliary_loss(roi_feats, auxiliary_labels))
        return losses
