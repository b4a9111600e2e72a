"""The supervised contrastive loss of FSCE's proposal encodings."""
from typing import Callable, Optional

import torch
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError

_REWEIGHTS = {
    'none': lambda ious: torch.ones_like(ious),
    'linear': lambda ious: ious,
    'exp': lambda ious: torch.exp(ious) - 1,
}


@MODELS.register_module()
class SupervisedContrastiveLoss(nn.Module):
    """Supervised contrastive loss over proposal encodings (`FSCE
    <https://arxiv.org/abs/2103.05950>`_, after Khosla et al., NeurIPS 2020).

    For L2-normalised encodings ``z`` (N, D) with labels ``y`` and IoUs
    ``u`` with their ground truth, anchor ``i`` gets::

        s_ij = z_i . z_j / T - max_k (z_i . z_k / T)
        log p_ij = s_ij - log sum_{k != i} exp(s_ik)
        l_i = - sum_{j != i, y_j = y_i} log p_ij / #{j : y_j = y_i}

    (the count in the denominator includes ``i`` itself, as FSCE's code
    does). Only anchors with ``u_i >= iou_threshold`` contribute, each
    weighted by ``f(u_i)`` (``none``: 1, ``linear``: ``u``, ``exp``:
    ``e^u - 1``); the loss is their (weighted) mean times ``loss_weight``
    (times ``decay_rate`` when given). Without such an anchor it is a zero
    that keeps the graph. Computed in float32.

    Args:
        temperature: ``T``. Default 0.2.
        iou_threshold: Minimum IoU of an anchor. Default 0.5.
        reweight_type: ``'none'``, ``'linear'`` or ``'exp'``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor of the loss.

    Raises:
        ConfigError: a non-positive temperature or an unknown reweighting.
    """

    def __init__(self,
                 temperature: float = 0.2,
                 iou_threshold: float = 0.5,
                 reweight_type: str = 'none',
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ConfigError(f'SupervisedContrastiveLoss: temperature must '
                              f'be positive, got {temperature}')
        if reweight_type not in _REWEIGHTS:
            raise ConfigError(
                f'SupervisedContrastiveLoss: reweight_type {reweight_type!r}'
                f' is not one of {sorted(_REWEIGHTS)}')
        self.temperature = temperature
        self.iou_threshold = iou_threshold
        self.reweight_type = reweight_type
        self.reweight: Callable[[Tensor], Tensor] = _REWEIGHTS[reweight_type]
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                features: Tensor,
                labels: Tensor,
                ious: Tensor,
                decay_rate: Optional[float] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """The loss of a batch of encodings.

        Args:
            features: L2-normalised encodings, (N, D).
            labels: Class labels, (N, ).
            ious: IoU of every proposal with its ground truth (0 for
                background proposals), (N, ).
            decay_rate: Extra factor of the loss weight (FSCE's decay).
            weight: Per-anchor weights, (N, ).
            avg_factor: Divisor of the mean instead of the anchor count.
            reduction_override: Replaces ``reduction`` for this call.

        Returns:
            The loss (a scalar unless the reduction is ``'none'``).
        """
        if not features.shape[0] == labels.shape[0] == ious.shape[0]:
            raise ValueError(
                f'SupervisedContrastiveLoss: {features.shape[0]} features, '
                f'{labels.shape[0]} labels and {ious.shape[0]} IoUs')
        reduction = reduction_override or self.reduction
        features = features.float()
        labels = labels.reshape(-1, 1)
        same_label = torch.eq(labels, labels.T).float()
        similarity = features @ features.T / self.temperature
        similarity = similarity - similarity.max(
            dim=1, keepdim=True)[0].detach()
        not_self = 1 - torch.eye(
            len(features), dtype=similarity.dtype, device=similarity.device)
        log_prob = similarity - torch.log(
            (torch.exp(similarity) * not_self).sum(dim=1, keepdim=True))
        mean_log_prob = (log_prob * not_self * same_label).sum(1) / \
            same_label.sum(1)
        keep = ious >= self.iou_threshold
        if not keep.any():
            return mean_log_prob.sum() * 0
        loss = -mean_log_prob[keep] * self.reweight(ious[keep].float())
        if weight is not None:
            weight = weight[keep]
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        loss_weight = self.loss_weight
        if decay_rate is not None:
            loss_weight = loss_weight * decay_rate
        return loss_weight * loss
