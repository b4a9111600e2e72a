from typing import Optional

import torch
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import TaskState
from .cosine_distance_head import CosineDistanceHead


@MODELS.register_module()
class NegMarginHead(CosineDistanceHead):
    """Margin-based classifier of "Negative Margin Matters" (NegMargin).

    Training logits subtract ``margin`` from the target class before
    scaling (a negative margin pulls classes together, which transfers
    better to novel classes); predictions use the plain scores, so the
    margin acts only in training (base training and meta-test fine-tuning).

    Args:
        num_classes: Number of base classes.
        in_channels: Feature dimension.
        metric_type: ``'cosine'`` (scaled cosine similarity) or
            ``'softmax'`` (inner product).
        margin: The margin; negative values are what the paper proposes.
        temperature: Scale of the cosine logits.
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
            raise ValueError(f"metric_type must be 'cosine' or 'softmax', "
                             f'got {metric_type!r}')
        super().__init__(
            num_classes, in_channels, temperature=temperature, **kwargs)
        self.metric_type = metric_type
        self.margin = margin

    def task_logits(self,
                    state: TaskState,
                    feats: torch.Tensor,
                    labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        weight = state['weight']
        if self.metric_type == 'cosine':
            scale = self.temperature
            similarity = F.normalize(
                feats,
                dim=-1).bmm(F.normalize(weight, dim=-1).transpose(1, 2))
        else:
            scale = 1.0
            similarity = feats.bmm(weight.transpose(1, 2))
        if labels is not None and self.margin != 0:
            target = F.one_hot(labels, weight.size(1)).to(similarity.dtype)
            similarity = similarity - self.margin * target
        return scale * similarity
