import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import BaseFinetuneHead, TaskState, uniform_init


@MODELS.register_module()
class NegMarginHead(BaseFinetuneHead):
    """Margin-based classifier of "Negative Margin Matters" (Liu et al.,
    2020).

    The similarity of a feature to each class weight is their cosine
    (``metric_type='cosine'``) or their inner product minus the smallest
    inner product of the sample (``'softmax'``); training logits subtract
    ``margin`` from the similarity of the target class, and all logits are
    the similarities times ``temperature``. A negative margin pulls classes
    together, which transfers better to novel classes. Predictions use no
    margin, so it acts only in training (base training, and meta-test
    fine-tuning when the meta-test head has a margin).

    Args:
        num_classes: Number of base classes.
        in_channels: Feature dimension.
        metric_type: ``'cosine'`` or ``'softmax'``.
        margin: The margin; the paper proposes negative values.
        temperature: Scale of the similarities.
        finetune_cfg: Meta-test fine-tuning settings, see
            :class:`BaseFinetuneHead`.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 metric_type: str = 'cosine',
                 margin: float = 0.0,
                 temperature: float = 30.0,
                 **kwargs) -> None:
        if metric_type not in ('cosine', 'softmax'):
            raise ValueError(f"NegMarginHead: metric_type must be 'cosine' "
                             f"or 'softmax', got {metric_type!r}")
        super().__init__(num_classes, in_channels, **kwargs)
        self.metric_type = metric_type
        self.margin = margin
        self.temperature = temperature
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def own_state(self) -> TaskState:
        return dict(weight=self.weight.unsqueeze(0))

    def init_task_state(self, num_ways: int, generators: List[torch.Generator],
                        device: torch.device) -> TaskState:
        return dict(
            weight=uniform_init((num_ways, self.in_channels), 1 /
                                math.sqrt(self.in_channels), generators,
                                device))

    def task_logits(self,
                    state: TaskState,
                    feats: torch.Tensor,
                    labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        weight = state['weight']
        if self.metric_type == 'cosine':
            similarity = F.normalize(
                feats,
                dim=-1).bmm(F.normalize(weight, dim=-1).transpose(1, 2))
        else:
            similarity = feats.bmm(weight.transpose(1, 2))
            similarity = similarity - similarity.min(-1, keepdim=True).values
        if labels is not None and self.margin != 0:
            target = F.one_hot(labels, weight.size(1)).to(similarity.dtype)
            similarity = similarity - self.margin * target
        return self.temperature * similarity
