import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import BaseFinetuneHead, TaskState, uniform_init


@MODELS.register_module()
class CosineDistanceHead(BaseFinetuneHead):
    """Cosine classifier of Baseline++ (Chen et al., 2019).

    A weight-normalised linear layer without bias: class ``c`` has a
    direction ``weight[c]`` and a learnable gain ``gain[c]`` (initialised
    to the norm of the initial direction), and the logit of a feature ``x``
    is ``temperature * gain[c] * cos(x, weight[c])``, with ``x`` divided by
    ``|x| + eps``. At meta test a new layer of this kind is drawn per task
    and fine-tuned, direction and gain alike.

    Args:
        num_classes: Number of base classes.
        in_channels: Feature dimension.
        temperature: Scale of the logits. None (the default of the original
            toolbox) means 2 for up to 200 classes and 10 above.
        learnable_temperature: Whether the scale is trained with the head.
        eps: Added to the feature norm before dividing by it.
        finetune_cfg: Meta-test fine-tuning settings, see
            :class:`BaseFinetuneHead`.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 temperature: Optional[float] = None,
                 learnable_temperature: bool = False,
                 eps: float = 1e-5,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        if temperature is None:
            temperature = 2.0 if num_classes <= 200 else 10.0
        self.eps = eps
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.gain = nn.Parameter(self.weight.detach().norm(dim=1))
        temperature_tensor = torch.tensor(float(temperature))
        if learnable_temperature:
            self.temperature = nn.Parameter(temperature_tensor)
        else:
            # a fixed scale is a setting of the config, not a weight: it
            # stays out of checkpoints, as in the original toolbox
            self.register_buffer(
                'temperature', temperature_tensor, persistent=False)

    def own_state(self) -> TaskState:
        return dict(
            weight=self.weight.unsqueeze(0), gain=self.gain.unsqueeze(0))

    def init_task_state(self, num_ways: int, generators: List[torch.Generator],
                        device: torch.device) -> TaskState:
        # nn.Linear's default initialisation, drawn per task; the gain
        # starts as the norm of the direction, as weight normalisation does
        weight = uniform_init((num_ways, self.in_channels),
                              1 / math.sqrt(self.in_channels), generators,
                              device)
        return dict(
            weight=weight, gain=weight.detach().norm(dim=-1).requires_grad_())

    def task_logits(self,
                    state: TaskState,
                    feats: torch.Tensor,
                    labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        feats = feats / (feats.norm(dim=-1, keepdim=True) + self.eps)
        weight = state['gain'].unsqueeze(-1) * F.normalize(
            state['weight'], dim=-1)
        return self.temperature * feats.bmm(weight.transpose(1, 2))
