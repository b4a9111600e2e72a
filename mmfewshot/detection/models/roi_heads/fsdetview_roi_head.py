"""The RoI head of FSDetView: a richer query-support aggregation."""
from typing import Dict

import torch
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from .meta_rcnn_roi_head import MetaRCNNRoIHead


@MODELS.register_module()
class FSDetViewRoIHead(MetaRCNNRoIHead):
    """RoI head of `FSDetView <https://arxiv.org/abs/2007.12107>`_ (Xiao &
    Marlet, ECCV 2020).

    :class:`MetaRCNNRoIHead` whose box head sees the outputs of all
    aggregators and the query feature itself, concatenated: with the
    configured ``[fc(q * s), fc(q - s)]`` aggregators that is
    ``[fc(q * s), fc(q - s), q]``.

    Args:
        aggregation_layer: Config of the :class:`AggregationLayer`.
        **kwargs: Arguments of :class:`MetaRCNNRoIHead`.
    """

    def _bbox_forward(self, query_roi_feats: Tensor,
                      support_feats: Tensor) -> Dict[str, Tensor]:
        """Box head forward on ``[aggregations..., query]``.

        Args:
            query_roi_feats: (n, C).
            support_feats: (1, C) or (n, C).

        Returns:
            ``cls_score`` and ``bbox_pred``.
        """
        aggregated = self.aggregation_layer(query_roi_feats[..., None, None],
                                            support_feats[..., None, None])
        roi_feats = torch.cat(
            [feat.flatten(1) for feat in aggregated] + [query_roi_feats],
            dim=1)
        cls_score, bbox_pred = self.bbox_head(roi_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred)
