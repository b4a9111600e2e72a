from typing import Optional, Sequence

import torch

from mmfewshot.classification.registry import MODELS
from .base_head import BaseMetricHead, TaskState, class_means


@MODELS.register_module()
class PrototypeHead(BaseMetricHead):
    """Prototypical Networks: negative squared Euclidean distance to the
    mean support feature (prototype) of each class.

    Args:
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def adapt(self,
              support_feats: torch.Tensor,
              support_labels: torch.Tensor,
              num_ways: int,
              task_seeds: Optional[Sequence[int]] = None) -> TaskState:
        return dict(
            prototypes=class_means(
                support_feats.flatten(2), support_labels, num_ways))

    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        query = query_feats.flatten(2)
        prototypes = state['prototypes']
        # ||q - p||^2 = ||q||^2 - 2 q.p + ||p||^2, computed batched
        distances = (
            query.pow(2).sum(-1, keepdim=True) -
            2 * query.bmm(prototypes.transpose(1, 2)) +
            prototypes.pow(2).sum(-1).unsqueeze(1))
        return -distances
