"""The box head of MPSR: classification of the auxiliary object crops."""
from typing import Optional

import torch
from mmdet.models.losses import accuracy
from mmdet.models.roi_heads.bbox_heads import ConvFCBBoxHead
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError


@MODELS.register_module()
class TwoBranchBBoxHead(ConvFCBBoxHead):
    """Box head of `MPSR <https://arxiv.org/abs/2007.09384>`_ (Wu et al.,
    *Multi-Scale Positive Sample Refinement for Few-Shot Object Detection*,
    ECCV 2020).

    mmdet's ``ConvFCBBoxHead`` (MPSR's configs: no shared layers, two
    classification and two regression fully connected layers) with:

    - no ReLU after the last classification layer (as MPSR);
    - :meth:`forward_auxiliary`: an auxiliary feature map (a whole FPN
      level of an object crop) is average-pooled to ``roi_feat_size`` and
      classified by the same layers;
    - :meth:`auxiliary_loss`: ``loss_cls`` of those scores against the
      crops' labels, times ``auxiliary_loss_weight``
      (``loss_cls_auxiliary``), and their accuracy (``acc_auxiliary``).

    Args:
        auxiliary_loss_weight: Weight of the auxiliary classification loss.
        **kwargs: Arguments of mmdet's ``ConvFCBBoxHead``.
    """

    def __init__(self, auxiliary_loss_weight: float = 0.1, **kwargs) -> None:
        if auxiliary_loss_weight < 0:
            raise ConfigError('TwoBranchBBoxHead: auxiliary_loss_weight must '
                              f'be >= 0, got {auxiliary_loss_weight}')
        super().__init__(**kwargs)
        self.auxiliary_loss_weight = auxiliary_loss_weight
        self.auxiliary_avg_pool = nn.AdaptiveAvgPool2d(self.roi_feat_size)

    def _shared_forward(self, x: Tensor) -> Tensor:
        for conv in self.shared_convs:
            x = conv(x)
        if self.num_shared_fcs > 0:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
            for fc in self.shared_fcs:
                x = self.relu(fc(x))
        return x

    def _branch_input(self, x: Tensor, convs: nn.ModuleList) -> Tensor:
        for conv in convs:
            x = conv(x)
        if x.dim() > 2:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
        return x

    def _cls_score(self, x: Tensor) -> Optional[Tensor]:
        x = self._branch_input(x, self.cls_convs)
        for index, fc in enumerate(self.cls_fcs):
            x = fc(x)
            if index + 1 < len(self.cls_fcs):
                x = self.relu(x)
        return self.fc_cls(x) if self.with_cls else None

    def forward(self, x: Tensor) -> tuple:
        """Scores and deltas of RoI features.

        Args:
            x: RoI features, (num_rois, C, roi_feat_size, roi_feat_size).

        Returns:
            ``(cls_score, bbox_pred)``.
        """
        x = self._shared_forward(x)
        x_reg = self._branch_input(x, self.reg_convs)
        for fc in self.reg_fcs:
            x_reg = self.relu(fc(x_reg))
        bbox_pred = self.fc_reg(x_reg) if self.with_reg else None
        return self._cls_score(x), bbox_pred

    def forward_auxiliary(self, x: Tensor) -> Tensor:
        """Scores of auxiliary feature maps.

        Args:
            x: Feature maps of any size, (N, C, H, W).

        Returns:
            Scores, (N, num_classes + 1).
        """
        return self._cls_score(
            self._shared_forward(self.auxiliary_avg_pool(x)))

    def auxiliary_loss(self, cls_score: Tensor, labels: Tensor) -> dict:
        """Weighted classification loss and accuracy of auxiliary scores.

        Args:
            cls_score: Scores, (N, num_classes + 1).
            labels: Class of every score, (N, ).

        Returns:
            ``loss_cls_auxiliary`` and ``acc_auxiliary``.
        """
        loss = self.loss_cls(
            cls_score,
            labels,
            torch.ones_like(labels, dtype=cls_score.dtype),
            avg_factor=max(labels.numel(), 1))
        return dict(
            loss_cls_auxiliary=self.auxiliary_loss_weight * loss,
            acc_auxiliary=accuracy(cls_score, labels))
