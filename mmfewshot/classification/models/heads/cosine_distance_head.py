import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import BaseFinetuneHead, TaskState, uniform_init


def scaled_cosine(feats: torch.Tensor, weight: torch.Tensor,
                  temperature: torch.Tensor) -> torch.Tensor:
    """``temperature`` × cosine similarity of [T, N, D] and [T, C, D]."""
    return temperature * F.normalize(
        feats, dim=-1).bmm(F.normalize(weight, dim=-1).transpose(1, 2))


@MODELS.register_module()
class CosineDistanceHead(BaseFinetuneHead):
    """Cosine-similarity classifier of Baseline++.

    Logits are the cosine similarity between a feature and each class
    weight, multiplied by a temperature (scale). The temperature is a
    learnable parameter when ``learnable_temperature=True``.

    Args:
        num_classes: Number of base classes.
        in_channels: Feature dimension.
        temperature: Scale of the cosine similarities.
        learnable_temperature: Whether the scale is trained with the head.
        finetune_cfg: Meta-test fine-tuning settings, see
            :class:`BaseFinetuneHead`.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 temperature: float = 10.0,
                 learnable_temperature: bool = False,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        temperature_tensor = torch.tensor(float(temperature))
        if learnable_temperature:
            self.temperature = nn.Parameter(temperature_tensor)
        else:
            self.register_buffer('temperature', temperature_tensor)

    def own_state(self) -> TaskState:
        return dict(weight=self.weight.unsqueeze(0))

    def init_task_state(self, num_ways: int, generators: List[torch.Generator],
                        device: torch.device) -> TaskState:
        bound = 1 / math.sqrt(self.in_channels)
        return dict(
            weight=uniform_init((num_ways,
                                 self.in_channels), bound, generators, device))

    def task_logits(self,
                    state: TaskState,
                    feats: torch.Tensor,
                    labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        return scaled_cosine(feats, state['weight'], self.temperature)
