"""The box head of Meta R-CNN and FSDetView, with meta-classification."""
from typing import Dict, Optional

import torch
from mmdet.models.losses import accuracy
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS


@MODELS.register_module()
class MetaBBoxHead(BBoxHead):
    """mmdet's ``BBoxHead`` plus ``fc_meta``, a linear classifier of the
    support vectors themselves (the meta-classification loss that keeps
    the class-attentive vectors of different classes apart).

    As in the original toolbox, the meta loss of ``N`` support vectors is
    the mean cross-entropy times ``1 / N`` when ``meta_cls_loss_weight`` is
    None (the normalisation is applied twice), else times the weight.

    Args:
        num_meta_classes: Classes of the meta classifier.
        meta_cls_in_channels: Size of the support vectors.
        with_meta_cls_loss: Build ``fc_meta`` and compute the loss.
        meta_cls_loss_weight: Weight of the loss; None is ``1 / N``.
        loss_meta: Config of the meta-classification loss.
        **kwargs: Arguments of ``BBoxHead`` (``with_avg_pool``,
            ``in_channels``, ``roi_feat_size``, ``num_classes``, losses,
            ``bbox_coder`` ...).
    """

    def __init__(self,
                 num_meta_classes: int,
                 meta_cls_in_channels: int = 2048,
                 with_meta_cls_loss: bool = True,
                 meta_cls_loss_weight: Optional[float] = None,
                 loss_meta: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_meta_cls_loss = with_meta_cls_loss
        self.meta_cls_loss_weight = meta_cls_loss_weight
        if with_meta_cls_loss:
            self.fc_meta = nn.Linear(meta_cls_in_channels, num_meta_classes)
            self.loss_meta_cls = MODELS.build(
                loss_meta or dict(
                    type='CrossEntropyLoss',
                    use_sigmoid=False,
                    loss_weight=1.0))

    def forward_meta_cls(self, support_feat: Tensor) -> Tensor:
        """Meta-classification scores of support vectors.

        Args:
            support_feat: (N, meta_cls_in_channels).

        Returns:
            (N, num_meta_classes).
        """
        return self.fc_meta(support_feat)

    def loss_meta(self, meta_cls_score: Tensor,
                  meta_cls_labels: Tensor) -> Dict[str, Tensor]:
        """The meta-classification loss and accuracy.

        Args:
            meta_cls_score: (N, num_meta_classes).
            meta_cls_labels: (N,).

        Returns:
            ``loss_meta_cls`` and ``meta_acc`` (nothing for N = 0).
        """
        if meta_cls_score.numel() == 0:
            return {}
        num_supports = meta_cls_labels.numel()
        weight = self.meta_cls_loss_weight
        if weight is None:
            weight = 1. / max(num_supports, 1)
        loss = self.loss_meta_cls(meta_cls_score.float(), meta_cls_labels,
                                  torch.ones_like(meta_cls_labels))
        return dict(
            loss_meta_cls=loss * weight,
            meta_acc=accuracy(meta_cls_score, meta_cls_labels))
