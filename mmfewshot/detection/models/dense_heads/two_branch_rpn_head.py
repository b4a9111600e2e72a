"""The RPN head of MPSR: objectness of the auxiliary object crops too."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from mmdet.models.utils import images_to_levels, unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import cat_boxes
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.config import ConfigDict
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError


@MODELS.register_module()
class TwoBranchRPNHead(RPNHead):
    """RPN head of `MPSR <https://arxiv.org/abs/2007.09384>`_ (Wu et al.,
    *Multi-Scale Positive Sample Refinement for Few-Shot Object Detection*,
    ECCV 2020).

    mmdet's ``RPNHead`` with MPSR's objectness branch and its auxiliary
    loss:

    - objectness goes through ``rpn_cls_conv`` (1x1, ``feat_channels`` to
      ``num_anchors * mid_channels``) and then ``rpn_cls`` (1x1,
      ``mid_channels`` to one score), shared by the anchors of a position;
      regression is mmdet's ``rpn_reg``;
    - every position of the centre of an auxiliary feature map (the object
      crop of one scale at the FPN level chosen for that scale, cut by
      ``auxiliary_border`` on each side after ``rpn_conv``) is a positive
      for every anchor; the auxiliary objectness loss
      (``loss_rpn_cls_auxiliary``) and the ordinary one (``loss_rpn_cls``)
      are both averaged over the sampled anchors of the images plus all
      auxiliary positions; ``loss_rpn_bbox`` over the sampled anchors only;
    - proposals: with ``max_per_batch`` in the proposal config (and
      ``max_per_img=None``), training keeps the ``max_per_batch``
      highest-scored proposals of the whole batch instead of a number per
      image (the original MPSR, built on maskrcnn-benchmark).

    Args:
        mid_channels: Channels of each anchor's objectness feature.
        auxiliary_border: Positions cut from each side of an auxiliary
            feature map after ``rpn_conv`` (3: the centre 2x2 of an 8x8
            map).
        **kwargs: Arguments of mmdet's ``RPNHead``.
    """

    def __init__(self,
                 mid_channels: int = 64,
                 auxiliary_border: int = 3,
                 **kwargs) -> None:
        if mid_channels < 1 or auxiliary_border < 0:
            raise ConfigError(
                'TwoBranchRPNHead: mid_channels must be >= 1 and '
                f'auxiliary_border >= 0, got {mid_channels} and '
                f'{auxiliary_border}')
        self.mid_channels = mid_channels
        self.auxiliary_border = auxiliary_border
        super().__init__(**kwargs)

    def _init_layers(self) -> None:
        """mmdet's layers, with the objectness classifier replaced by
        ``rpn_cls_conv`` + ``rpn_cls``."""
        super()._init_layers()
        self.rpn_cls_conv = nn.Conv2d(self.feat_channels,
                                      self.num_base_priors * self.mid_channels,
                                      1)
        self.rpn_cls = nn.Conv2d(self.mid_channels, self.cls_out_channels, 1)

    def _objectness(self, feat: Tensor) -> Tensor:
        """Scores of every anchor, (N, num_anchors * cls_out_channels, H,
        W), in mmdet's channel order (anchor-major)."""
        cls_feat = self.rpn_cls_conv(feat)
        batch, _, height, width = cls_feat.shape
        scores = self.rpn_cls(
            cls_feat.reshape(batch * self.num_base_priors, self.mid_channels,
                             height, width))
        return scores.reshape(batch, -1, height, width)

    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Objectness and box deltas of one FPN level.

        Args:
            x: Features of one level, (N, C, H, W).

        Returns:
            Scores (N, num_anchors * cls_out_channels, H, W) and deltas
            (N, num_anchors * 4, H, W).
        """
        x = F.relu(self.rpn_conv(x))
        return self._objectness(x), self.rpn_reg(x)

    def forward_auxiliary(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Objectness of the centre of every auxiliary feature map.

        Args:
            feats: One feature map per scale, (N, C, H, W) each.

        Returns:
            One score map per scale.

        Raises:
            ConfigError: A map is too small for ``auxiliary_border``.
        """
        border = self.auxiliary_border
        scores = []
        for scale, feat in enumerate(feats):
            height, width = feat.shape[-2:]
            if min(height, width) <= 2 * border:
                raise ConfigError(
                    f'TwoBranchRPNHead: the auxiliary feature map of scale '
                    f'{scale} is {height}x{width}; auxiliary_border={border} '
                    'leaves nothing (select a finer FPN level for it in the '
                    "detector's rpn_select_levels)")
            feat = F.relu(self.rpn_conv(feat))
            if border:
                feat = feat[..., border:-border, border:-border]
            scores.append(self._objectness(feat))
        return scores

    def loss_and_predict(
        self,
        x: Tuple[Tensor],
        batch_data_samples: SampleList,
        proposal_cfg: Optional[ConfigDict] = None,
        auxiliary_feats: Sequence[Tensor] = ()
    ) -> Tuple[dict, InstanceList]:
        """Losses of both branches and the proposals of the images.

        Args:
            x: FPN features of the images.
            batch_data_samples: The images' samples (ground truth boxes).
            proposal_cfg: Proposal settings (``train_cfg.rpn_proposal``).
            auxiliary_feats: One feature map per auxiliary scale.

        Returns:
            The losses and the proposals of every image.
        """
        (batch_gt_instances, batch_gt_instances_ignore,
         batch_img_metas) = unpack_gt_instances(batch_data_samples)
        outs = self(x)
        losses = self.loss_by_feat(
            *outs,
            batch_gt_instances,
            batch_img_metas,
            batch_gt_instances_ignore,
            auxiliary_cls_scores=self.forward_auxiliary(auxiliary_feats))
        predictions = self.predict_by_feat(
            *outs, batch_img_metas=batch_img_metas, cfg=proposal_cfg)
        return losses, predictions

    def _objectness_loss(self, cls_score: Tensor, labels: Tensor,
                         label_weights: Tensor, avg_factor: float) -> Tensor:
        cls_score = cls_score.permute(0, 2, 3,
                                      1).reshape(-1, self.cls_out_channels)
        return self.loss_cls(
            cls_score,
            labels.reshape(-1),
            label_weights.reshape(-1),
            avg_factor=avg_factor)

    def loss_by_feat(
        self,
        cls_scores: List[Tensor],
        bbox_preds: List[Tensor],
        batch_gt_instances: InstanceList,
        batch_img_metas: List[dict],
        batch_gt_instances_ignore: OptInstanceList = None,
        auxiliary_cls_scores: Sequence[Tensor] = ()
    ) -> dict:
        """Objectness and regression losses of the images, objectness loss
        of the auxiliary crops.

        Args:
            cls_scores: Scores of every FPN level.
            bbox_preds: Deltas of every FPN level.
            batch_gt_instances: Ground truth of every image.
            batch_img_metas: Meta information of every image.
            batch_gt_instances_ignore: Ignored boxes of every image.
            auxiliary_cls_scores: Scores of every auxiliary scale.

        Returns:
            ``loss_rpn_cls`` and ``loss_rpn_bbox`` (one per level),
            ``loss_rpn_cls_auxiliary`` (one per scale).
        """
        featmap_sizes = [score.size()[-2:] for score in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=cls_scores[0].device)
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list,
         avg_factor) = self.get_targets(
             anchor_list,
             valid_flag_list,
             batch_gt_instances,
             batch_img_metas,
             batch_gt_instances_ignore=batch_gt_instances_ignore)
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        all_anchor_list = images_to_levels(
            [cat_boxes(anchors) for anchors in anchor_list], num_level_anchors)
        # the objectness normaliser counts every auxiliary anchor position
        num_auxiliary = sum(score.numel() // self.cls_out_channels
                            for score in auxiliary_cls_scores)
        cls_avg_factor = avg_factor + num_auxiliary
        losses_cls, losses_bbox = [], []
        for level, cls_score in enumerate(cls_scores):
            losses_cls.append(
                self._objectness_loss(cls_score, labels_list[level],
                                      label_weights_list[level],
                                      cls_avg_factor))
            # mmdet's regression loss (its objectness loss is not used)
            _, loss_bbox = self.loss_by_feat_single(
                cls_score,
                bbox_preds[level],
                all_anchor_list[level],
                labels_list[level],
                label_weights_list[level],
                bbox_targets_list[level],
                bbox_weights_list[level],
                avg_factor=avg_factor)
            losses_bbox.append(loss_bbox)
        # label 0 is "object" for the RPN
        losses_auxiliary = [
            self._objectness_loss(
                score,
                score.new_zeros(
                    score.numel() // self.cls_out_channels, dtype=torch.long),
                score.new_ones(score.numel() // self.cls_out_channels),
                cls_avg_factor) for score in auxiliary_cls_scores
        ]
        return dict(
            loss_rpn_cls=losses_cls,
            loss_rpn_cls_auxiliary=losses_auxiliary,
            loss_rpn_bbox=losses_bbox)

    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        score_factors: Optional[List[Tensor]] = None,
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """mmdet's proposals; in training, ``cfg.max_per_batch`` keeps the
        best proposals of the whole batch.

        Returns:
            The proposals of every image.

        Raises:
            ConfigError: Both ``max_per_batch`` and ``max_per_img`` are set.
        """
        cfg = self.test_cfg if cfg is None else cfg
        max_per_batch = cfg.get('max_per_batch')
        if max_per_batch is not None and cfg.get('max_per_img') is not None:
            raise ConfigError(
                'TwoBranchRPNHead: set either max_per_batch or max_per_img '
                'of the proposal config (the other to None), not both')
        results = super().predict_by_feat(
            cls_scores,
            bbox_preds,
            score_factors=score_factors,
            batch_img_metas=batch_img_metas,
            cfg=cfg,
            rescale=rescale,
            with_nms=with_nms)
        if not self.training or max_per_batch is None:
            return results
        scores = torch.cat([result.scores for result in results])
        keep = torch.zeros_like(scores, dtype=torch.bool)
        keep[scores.argsort(descending=True)[:max_per_batch]] = True
        kept = keep.split([len(result) for result in results])
        return [result[mask] for result, mask in zip(results, kept)]
