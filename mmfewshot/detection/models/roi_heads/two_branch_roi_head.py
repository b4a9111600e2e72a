"""The RoI head of MPSR: an auxiliary loss on whole object-crop features."""
from typing import Sequence

import torch
from mmdet.models.roi_heads import StandardRoIHead
from torch import Tensor

from mmfewshot.detection.registry import MODELS


@MODELS.register_module()
class TwoBranchRoIHead(StandardRoIHead):
    """RoI head of `MPSR <https://arxiv.org/abs/2007.09384>`_ (Wu et al.,
    *Multi-Scale Positive Sample Refinement for Few-Shot Object Detection*,
    ECCV 2020).

    mmdet's ``StandardRoIHead`` plus :meth:`auxiliary_loss`: the feature map
    of every auxiliary object crop (one FPN level per scale, chosen by the
    detector) is classified by the box head's ``forward_auxiliary``, no RoI
    extraction needed (the crop is the object). Its box head must be a
    :class:`TwoBranchBBoxHead`.
    """

    def auxiliary_loss(self, feats: Sequence[Tensor],
                       labels: Sequence[Tensor]) -> dict:
        """Classification loss of the auxiliary crops of every scale.

        Args:
            feats: One feature map per scale, (N_s, C, H_s, W_s) each.
            labels: The class of every crop, one (N_s, ) tensor per scale.

        Returns:
            ``loss_cls_auxiliary`` and ``acc_auxiliary``.
        """
        cls_score = torch.cat(
            [self.bbox_head.forward_auxiliary(feat) for feat in feats])
        return self.bbox_head.auxiliary_loss(cls_score, torch.cat(labels))
