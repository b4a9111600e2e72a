"""FSCE's box head: TFA's cosine classifier plus a contrastive encoding."""
import copy
from typing import Dict, Optional, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from .cosine_sim_bbox_head import CosineSimBBoxHead


@MODELS.register_module()
class ContrastiveBBoxHead(CosineSimBBoxHead):
    """Box head of `FSCE <https://arxiv.org/abs/2103.05950>`_ (Sun et al.,
    *FSCE: Few-Shot Object Detection via Contrastive Proposal Encoding*,
    CVPR 2021).

    A :class:`CosineSimBBoxHead` whose forward pass also returns an encoding
    of every RoI for the contrastive loss: the shared fully connected
    feature through ``Linear(C, C) - ReLU - Linear(C, mlp_head_channels)``,
    L2-normalised.

    Args:
        mlp_head_channels: Size of the encoding. Default 128.
        with_weight_decay: Multiply the contrastive loss weight by the decay
            rate that :class:`ContrastiveLossDecayHook` sets.
        loss_contrast: Config of the contrastive loss.
        **kwargs: Arguments of :class:`CosineSimBBoxHead` (``scale``,
            ``num_classes``, ``fc_out_channels``, ...).

    Raises:
        ValueError: when the head has no shared fully connected layer to
            encode.
    """

    def __init__(self,
                 mlp_head_channels: int = 128,
                 with_weight_decay: bool = False,
                 loss_contrast: dict = dict(
                     type='SupervisedContrastiveLoss',
                     temperature=0.1,
                     iou_threshold=0.5,
                     loss_weight=1.0,
                     reweight_type='none'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if self.num_shared_fcs == 0:
            raise ValueError('ContrastiveBBoxHead encodes the output of the '
                             'shared fully connected layers: set '
                             'num_shared_fcs > 0')
        self.mlp_head_channels = mlp_head_channels
        self.with_weight_decay = with_weight_decay
        # set by ContrastiveLossDecayHook during training
        self._decay_rate = 1.0
        self.contrastive_head = nn.Sequential(
            nn.Linear(self.fc_out_channels, self.fc_out_channels),
            nn.ReLU(inplace=True),
            nn.Linear(self.fc_out_channels, mlp_head_channels))
        self.contrast_loss = MODELS.build(copy.deepcopy(loss_contrast))

    def _branch(self, x: Tensor, convs: nn.ModuleList,
                fcs: nn.ModuleList) -> Tensor:
        for conv in convs:
            x = conv(x)
        if x.dim() > 2:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
        for fc in fcs:
            x = self.relu(fc(x))
        return x

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Scores, box deltas and encodings of RoI features.

        Args:
            x: RoI features, (N, C, H, W).

        Returns:
            ``cls_score`` (N, num_classes + 1), ``bbox_pred`` (N, 4 x
            classes, or 4 when class-agnostic) and ``contrast_feat``
            (N, mlp_head_channels), unit length.
        """
        for conv in self.shared_convs:
            x = conv(x)
        if self.with_avg_pool:
            x = self.avg_pool(x)
        x = x.flatten(1)
        for fc in self.shared_fcs:
            x = self.relu(fc(x))
        x_cls = self._branch(x, self.cls_convs, self.cls_fcs)
        x_reg = self._branch(x, self.reg_convs, self.reg_fcs)
        cls_score = self.fc_cls(x_cls) if self.with_cls else None
        bbox_pred = self.fc_reg(x_reg) if self.with_reg else None
        contrast_feat = F.normalize(self.contrastive_head(x), dim=1)
        return cls_score, bbox_pred, contrast_feat

    def set_decay_rate(self, decay_rate: float) -> None:
        """Set the factor of the contrastive loss weight (used when
        ``with_weight_decay``)."""
        self._decay_rate = decay_rate

    def loss_contrast(
            self,
            contrast_feat: Tensor,
            proposal_ious: Tensor,
            labels: Tensor,
            reduction_override: Optional[str] = None) -> Dict[str, Tensor]:
        """The contrastive loss of the RoIs of a batch.

        Args:
            contrast_feat: Encodings, (N, mlp_head_channels).
            proposal_ious: IoU of each RoI with its ground truth (0 for
                background RoIs), (N, ).
            labels: Target label of each RoI (``num_classes`` for
                background), (N, ).
            reduction_override: Reduction of this call.

        Returns:
            ``{'loss_contrast': loss}``.
        """
        decay_rate = self._decay_rate if self.with_weight_decay else None
        return dict(
            loss_contrast=self.contrast_loss(
                contrast_feat,
                labels,
                proposal_ious,
                decay_rate=decay_rate,
                reduction_override=reduction_override))
