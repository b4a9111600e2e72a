from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import BaseMetricHead, TaskState, class_means


@MODELS.register_module()
class MetaBaselineHead(BaseMetricHead):
    """Meta-Baseline: cosine similarity to class centroids, multiplied by a
    learnable temperature.

    Args:
        temperature: Initial temperature.
        learnable_temperature: Whether the temperature is trained.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 temperature: float = 10.0,
                 learnable_temperature: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        temperature_tensor = torch.tensor(float(temperature))
        if learnable_temperature:
            self.temperature = nn.Parameter(temperature_tensor)
        else:
            # a fixed scale is a setting of the config, not a weight: it
            # stays out of checkpoints, as in the original toolbox
            self.register_buffer(
                'temperature', temperature_tensor, persistent=False)

    def adapt(self,
              support_feats: torch.Tensor,
              support_labels: torch.Tensor,
              num_ways: int,
              task_seeds: Optional[Sequence[int]] = None) -> TaskState:
        centroids = class_means(
            support_feats.flatten(2), support_labels, num_ways)
        return dict(centroids=F.normalize(centroids, dim=-1))

    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        query = F.normalize(query_feats.flatten(2), dim=-1)
        return self.temperature * query.bmm(state['centroids'].transpose(1, 2))
