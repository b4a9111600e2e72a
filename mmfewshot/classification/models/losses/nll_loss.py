import torch
import torch.nn as nn
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS


@MODELS.register_module()
class NLLLoss(nn.Module):
    """Negative log-likelihood of log-probabilities.

    For heads that output log-probabilities rather than logits (e.g. the
    attention of MatchingNet).

    Args:
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, log_probs: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Mean NLL of ``log_probs`` [N, C] at ``labels`` [N]."""
        return self.loss_weight * F.nll_loss(log_probs, labels)
