"""Attention-RPN: a support-conditioned RPN and a multi-relation head."""
from typing import Dict, Tuple

import torch
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from ..utils import FrozenParametersMixin, support_rois
from .query_support_detector import QuerySupportDetector, SupportCache


@MODELS.register_module()
class AttentionRPNDetector(FrozenParametersMixin, QuerySupportDetector):
    """`Attention-RPN <https://arxiv.org/abs/1908.01998>`_ (Fan et al.,
    *Few-Shot Object Detection with Attention-RPN and Multi-Relation
    Detector*, CVPR 2020).

    Support instances are crops of their boxes with context
    (``CropResizeInstance``) read by the query backbone. For every class the
    cache holds the mean res4 RoI feature of its support boxes, averaged
    over space (``'rpn_feats'``, the kernel of :class:`AttentionRPNHead`),
    and their mean res5 RoI feature (``'roi_feats'``, compared with the
    proposals by :class:`MultiRelationRoIHead`). Detection is class by
    class but batched: the RPN runs once on all (image, class) pairs.

    Args:
        frozen_parameters: Prefixes of the parameters to freeze
            (:class:`FrozenParametersMixin`).
        freeze_norm_stats: Keep normalisation layers of frozen parts in eval
            mode.
        **kwargs: Arguments of :class:`QuerySupportDetector`.
    """

    def extract_support_instance_feats(
            self, support_inputs: Tensor,
            support_data_samples: SampleList) -> Dict[str, Tensor]:
        """The RPN kernel and the res5 RoI feature of every support box.

        Args:
            support_inputs: Support crops, (N, 3, H, W).
            support_data_samples: Their samples (the box in crop pixels).

        Returns:
            ``{'rpn_feats': (N, C4, 1, 1), 'roi_feats': (N, C5, 7, 7)}``.
        """
        feats = self.extract_support_feat(support_inputs)
        return dict(
            rpn_feats=self.rpn_head.support_kernels(feats,
                                                    support_data_samples),
            roi_feats=self.roi_head.extract_roi_feat(
                feats, support_rois(support_data_samples)))

    def predict_with_support(self, query_feats: Tuple[Tensor],
                             batch_data_samples: SampleList,
                             support_cache: SupportCache,
                             rescale: bool) -> InstanceList:
        """Proposals and detections of every cached class.

        Args:
            query_feats: Query features.
            batch_data_samples: Query samples.
            support_cache: ``{label: {'rpn_feats', 'roi_feats'}}``.
            rescale: Boxes in original image coordinates.

        Returns:
            One ``InstanceData`` per image.
        """
        labels = sorted(support_cache)
        kernels = torch.stack(
            [support_cache[label]['rpn_feats'] for label in labels])
        rpn_results_list = self.rpn_head.predict_with_support(
            query_feats, kernels, batch_data_samples)
        return self.roi_head.predict_with_support(
            query_feats, rpn_results_list, batch_data_samples,
            torch.stack(
                [support_cache[label]['roi_feats'] for label in labels]),
            labels, rescale)
