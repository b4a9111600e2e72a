"""A box head with dropout in front of its classifier only (DeFRCN)."""
from typing import Tuple

from mmdet.models.roi_heads.bbox_heads import BBoxHead
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS


@MODELS.register_module()
class ClsDropoutBBoxHead(BBoxHead):
    """mmdet's ``BBoxHead`` whose classifier sees its input through dropout.

    `DeFRCN <https://arxiv.org/abs/2108.09017>`_ fine-tunes with dropout of
    ratio 0.8 on the pooled RoI feature before the classifier ``fc_cls``
    only; the box regressor ``fc_reg`` reads the feature without dropout
    (the authors' ``FastRCNNOutputLayers`` with ``CLS_DROPOUT``). Dropout is
    inverted (kept values scaled by ``1 / (1 - p)``) and off in eval mode.
    Everything else (pooling, targets, losses, prediction) is mmdet's.

    Args:
        cls_dropout: The dropout ratio p in [0, 1); 0 is mmdet's head.
        **kwargs: Arguments of ``BBoxHead`` (``with_avg_pool``,
            ``roi_feat_size``, ``in_channels``, ``num_classes``, ...).

    Raises:
        ValueError: when ``cls_dropout`` is outside [0, 1).
    """

    def __init__(self, cls_dropout: float = 0.0, **kwargs) -> None:
        if not 0.0 <= cls_dropout < 1.0:
            raise ValueError('ClsDropoutBBoxHead: cls_dropout must be in '
                             f'[0, 1), got {cls_dropout}')
        super().__init__(**kwargs)
        self.cls_dropout = nn.Dropout(cls_dropout)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Class scores and box deltas of RoI features.

        Args:
            x: RoI features, (N, C, roi_feat_size, roi_feat_size).

        Returns:
            ``cls_score`` (N, num_classes + 1) and ``bbox_pred`` (N, 4 *
            num_classes, or 4 when class-agnostic).
        """
        if self.with_avg_pool:
            # avg_pool does not take empty tensors; the mean is the same
            x = self.avg_pool(x) if x.numel() > 0 else x.mean(dim=(-1, -2))
        x = x.flatten(1)
        cls_score = self.fc_cls(self.cls_dropout(x)) if self.with_cls \
            else None
        bbox_pred = self.fc_reg(x) if self.with_reg else None
        return cls_score, bbox_pred
