import torch
import torch.nn as nn
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS


@MODELS.register_module()
class MSELoss(nn.Module):
    """Mean squared error between scores and one-hot labels.

    RelationNet regresses a relation score in [0, 1] per (query, class)
    pair towards 1 for the query's class and 0 otherwise.

    Args:
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, scores: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """MSE of ``scores`` [N, C] against ``labels`` [N] one-hot coded."""
        target = F.one_hot(labels, scores.size(-1)).to(scores.dtype)
        return self.loss_weight * F.mse_loss(scores, target)
