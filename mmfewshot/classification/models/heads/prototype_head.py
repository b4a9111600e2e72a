from typing import Optional, Sequence

import torch

from mmfewshot.classification.registry import MODELS
from .base_head import BaseMetricHead, TaskState, class_means


@MODELS.register_module()
class PrototypeHead(BaseMetricHead):
    """Prototypical Networks: a query is scored by its negative Euclidean
    distance to the mean support feature (prototype) of each class.

    The original toolbox scores by the plain distance, which its configs
    and reference results use; the paper (Snell et al., 2017) by the
    squared distance, available with ``squared=True``.

    Args:
        squared: Score by the negative squared distance.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self, squared: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.squared = squared

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
        distances = torch.cdist(query_feats.flatten(2), state['prototypes'])
        return -(distances.pow(2) if self.squared else distances)
