import math
from typing import List, Optional

import torch
import torch.nn as nn

from mmfewshot.classification.registry import MODELS
from .base_head import BaseFinetuneHead, TaskState, uniform_init


@MODELS.register_module()
class LinearHead(BaseFinetuneHead):
    """A linear classifier (Baseline).

    Base training fits ``num_classes`` base classes; at meta test a new
    linear layer per task is fine-tuned on the support features.

    Args:
        num_classes: Number of base classes.
        in_channels: Feature dimension.
        finetune_cfg: Meta-test fine-tuning settings, see
            :class:`BaseFinetuneHead`.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self, num_classes: int, in_channels: int, **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        self.fc = nn.Linear(in_channels, num_classes)

    def own_state(self) -> TaskState:
        return dict(
            weight=self.fc.weight.unsqueeze(0), bias=self.fc.bias.unsqueeze(0))

    def init_task_state(self, num_ways: int, generators: List[torch.Generator],
                        device: torch.device) -> TaskState:
        # the default initialisation of nn.Linear, drawn per task
        bound = 1 / math.sqrt(self.in_channels)
        return dict(
            weight=uniform_init((num_ways, self.in_channels), bound,
                                generators, device),
            bias=uniform_init((num_ways, ), bound, generators, device))

    def task_logits(self,
                    state: TaskState,
                    feats: torch.Tensor,
                    labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        return torch.baddbmm(state['bias'].unsqueeze(1), feats,
                             state['weight'].transpose(1, 2))
