"""FSCE's RoI head: the IoU of every RoI goes to the contrastive loss."""
from typing import List, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.structures.bbox import bbox2roi, bbox_overlaps
from torch import Tensor

from mmfewshot.detection.registry import MODELS


@MODELS.register_module()
class ContrastiveRoIHead(StandardRoIHead):
    """RoI head of `FSCE <https://arxiv.org/abs/2103.05950>`_.

    mmdet's ``StandardRoIHead`` for a :class:`ContrastiveBBoxHead`: the box
    forward keeps the RoI encodings (``contrast_feat``), and the box loss
    adds the contrastive loss of the sampled RoIs, each with the IoU of its
    proposal and its ground-truth box (0 for background RoIs) and its
    target label. Prediction is mmdet's.
    """

    def _bbox_forward(self, x: Tuple[Tensor], rois: Tensor) -> dict:
        """Scores, deltas, RoI features and encodings of ``rois``."""
        bbox_feats = self.bbox_roi_extractor(
            x[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(bbox_feats)
        cls_score, bbox_pred, contrast_feat = self.bbox_head(bbox_feats)
        return dict(
            cls_score=cls_score,
            bbox_pred=bbox_pred,
            bbox_feats=bbox_feats,
            contrast_feat=contrast_feat)

    def bbox_loss(self, x: Tuple[Tensor],
                  sampling_results: List[SamplingResult]) -> dict:
        """Box losses plus the contrastive loss (``loss_contrast``).

        Args:
            x: Multi-level features.
            sampling_results: The sampled RoIs of every image.

        Returns:
            The box results with ``loss_bbox`` holding all three losses.
        """
        rois = bbox2roi([res.priors for res in sampling_results])
        bbox_results = self._bbox_forward(x, rois)
        loss_and_target = self.bbox_head.loss_and_target(
            cls_score=bbox_results['cls_score'],
            bbox_pred=bbox_results['bbox_pred'],
            rois=rois,
            sampling_results=sampling_results,
            rcnn_train_cfg=self.train_cfg)
        proposal_ious = []
        for res in sampling_results:
            pos_ious = bbox_overlaps(
                res.pos_priors, res.pos_gt_bboxes, is_aligned=True)
            proposal_ious.append(
                torch.cat([pos_ious,
                           pos_ious.new_zeros(len(res.neg_priors))]))
        losses = dict(loss_and_target['loss_bbox'])
        losses.update(
            self.bbox_head.loss_contrast(
                bbox_results['contrast_feat'],
                torch.cat(proposal_ious),
                labels=loss_and_target['bbox_targets'][0]))
        bbox_results.update(loss_bbox=losses)
        return bbox_results
