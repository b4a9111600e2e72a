"""The multi-relation box head of Attention-RPN: does a RoI show the support
class?"""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.losses import accuracy
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS


@MODELS.register_module()
class MultiRelationBBoxHead(BBoxHead):
    """Box head of `Attention-RPN <https://arxiv.org/abs/1908.01998>`_ (Fan
    et al., CVPR 2020).

    Scores a query RoI feature against a support feature (both ``C x 7 x
    7``) with three relation branches whose two-way scores (same class /
    not) are summed:

    - patch relation: ``[q, s]`` through 1x1 conv (C/4) -> 3x3 average
      pooling -> 3x3 conv -> 1x1 conv (C) -> 3x3 average pooling, then a
      linear classifier and the (class-agnostic) box regressor;
    - local correlation: a shared 1x1 conv on both, then the depth-wise
      correlation of ``q`` with ``s`` as a kernel, then a linear classifier;
    - global relation: ``[avg(q), avg(s)]`` through two fully connected
      layers, then a linear classifier.

    The patch relation is always on (it alone regresses boxes). Labels are
    binary: 0 is "the support's class", 1 background.

    Loss (:meth:`loss`): classification on all foreground RoIs, the
    highest-scored background RoIs of positive pairs (at most
    ``sample_fractions[1]`` per foreground RoI and a ``1 / sum`` share of all
    RoIs) and of negative pairs (at most ``sample_fractions[2]`` per
    foreground RoI and as many as the positive-pair ones), averaged over
    them; box regression on the foreground RoIs, averaged over all RoIs.

    Args:
        local_correlation: Use the local correlation branch.
        global_relation: Use the global relation branch.
        patch_relation: Must be True.
        **kwargs: Arguments of ``BBoxHead`` (``in_channels``,
            ``num_classes=1``, ``reg_class_agnostic=True``, ``bbox_coder``,
            losses, ``init_cfg``; ``roi_feat_size`` is not used).
    """

    def __init__(self,
                 local_correlation: bool = True,
                 global_relation: bool = True,
                 patch_relation: bool = True,
                 **kwargs) -> None:
        if not patch_relation:
            raise ValueError('MultiRelationBBoxHead: patch_relation must be '
                             'True (only that branch regresses boxes)')
        kwargs.setdefault('init_cfg', [
            dict(type='Normal', layer='Linear', std=0.01),
            dict(type='Normal', layer='Conv2d', std=0.01)
        ])
        super().__init__(**kwargs)
        # the relation branches replace mmdet's classifier and regressor
        del self.fc_cls, self.fc_reg
        channels = self.in_channels
        self.local_correlation = local_correlation
        self.global_relation = global_relation
        self.patch_relation_branch = nn.Sequential(
            nn.Conv2d(2 * channels, channels // 4, 1, bias=False),
            nn.ReLU(inplace=True), nn.AvgPool2d(kernel_size=3, stride=1),
            nn.Conv2d(channels // 4, channels // 4, 3, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // 4, channels, 1, bias=False),
            nn.ReLU(inplace=True), nn.AvgPool2d(kernel_size=3, stride=1))
        self.patch_relation_fc_cls = nn.Linear(channels, 2)
        self.patch_relation_fc_reg = nn.Linear(channels, 4)
        if local_correlation:
            self.local_correlation_branch = nn.Sequential(
                nn.Conv2d(channels, channels, 1, bias=False))
            self.local_correlation_fc_cls = nn.Linear(channels, 2)
        if global_relation:
            self.global_relation_branch = nn.Sequential(
                nn.Linear(2 * channels, channels), nn.ReLU(inplace=True),
                nn.Linear(channels, channels), nn.ReLU(inplace=True))
            self.global_relation_fc_cls = nn.Linear(channels, 2)

    def forward(self, query_feat: Tensor,
                support_feat: Tensor) -> Tuple[Tensor, Tensor]:
        """Relation scores and box deltas.

        Args:
            query_feat: RoI features, (n, C, 7, 7).
            support_feat: The support feature, (1, C, 7, 7).

        Returns:
            ``cls_score`` (n, 2) and ``bbox_pred`` (n, 4).
        """
        support = support_feat.expand_as(query_feat)
        patch = self.patch_relation_branch(
            torch.cat([query_feat, support], 1)).flatten(1)
        cls_score = self.patch_relation_fc_cls(patch)
        bbox_pred = self.patch_relation_fc_reg(patch)
        if self.local_correlation:
            local_query = self.local_correlation_branch(query_feat)
            local_support = self.local_correlation_branch(support_feat)
            local = F.conv2d(
                local_query,
                local_support.permute(1, 0, 2, 3),
                groups=self.in_channels)
            cls_score = cls_score + self.local_correlation_fc_cls(
                F.relu(local).flatten(1))
        if self.global_relation:
            global_feat = torch.cat(
                [query_feat.mean(
                    (2, 3)), support.mean((2, 3))], 1)
            cls_score = cls_score + self.global_relation_fc_cls(
                self.global_relation_branch(global_feat))
        return cls_score, bbox_pred

    def loss(self,
             cls_score: Tensor,
             bbox_pred: Tensor,
             rois: Tensor,
             labels: Tensor,
             label_weights: Tensor,
             bbox_targets: Tensor,
             bbox_weights: Tensor,
             num_pos_pair_samples: int = 0,
             sample_fractions: Sequence[float] = (1, 2, 1),
             reduction_override=None) -> Dict[str, Tensor]:
        """Losses of the RoIs of all pairs (see the class docstring).

        Args:
            cls_score: (n, 2) scores.
            bbox_pred: (n, 4) deltas.
            rois: (n, 5) RoIs.
            labels: (n,) 0 foreground, 1 background.
            label_weights: (n,).
            bbox_targets: (n, 4).
            bbox_weights: (n, 4).
            num_pos_pair_samples: The first RoIs that belong to positive
                pairs.
            sample_fractions: Shares of foreground, positive-pair
                background and negative-pair background RoIs.
            reduction_override: Reduction of the losses.

        Returns:
            ``loss_cls``, ``acc`` and ``loss_bbox``.
        """
        num_rois = labels.numel()
        foreground = torch.nonzero(labels == 0).flatten()
        background = torch.nonzero(labels == 1).flatten()
        num_fg = foreground.numel()
        num_pos_pair_bg = max(
            1,
            min(num_fg * sample_fractions[1],
                int(num_rois / sum(sample_fractions))))
        num_neg_pair_bg = max(
            1, min(num_fg * sample_fractions[2], num_pos_pair_bg))
        order = torch.argsort(
            cls_score[background, 0].detach(), descending=True)
        ranked = background[order]
        chosen = torch.cat([
            foreground,
            ranked[ranked < num_pos_pair_samples][:int(num_pos_pair_bg)],
            ranked[ranked >= num_pos_pair_samples][:int(num_neg_pair_bg)]
        ])
        losses = dict(
            loss_cls=self.loss_cls(
                cls_score[chosen],
                labels[chosen],
                label_weights[chosen],
                avg_factor=chosen.numel(),
                reduction_override=reduction_override),
            acc=accuracy(cls_score, labels))
        if num_fg:
            losses['loss_bbox'] = self.loss_bbox(
                bbox_pred[foreground],
                bbox_targets[foreground],
                bbox_weights[foreground],
                avg_factor=num_rois,
                reduction_override=reduction_override)
        else:
            losses['loss_bbox'] = bbox_pred[foreground].sum()
        return losses
