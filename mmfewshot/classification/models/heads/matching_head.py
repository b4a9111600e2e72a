from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import BaseMetricHead, TaskState


@MODELS.register_module()
class MatchingHead(BaseMetricHead):
    """Matching Networks: attention over the support set.

    A query attends to every support sample with a softmax over their
    scaled cosine similarities; the class probabilities are the attention
    mass on each class. The head returns log-probabilities, so its loss is
    :class:`NLLLoss`.

    Args:
        temperature: Scale of the cosine similarities before the softmax.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 temperature: float = 100.0,
                 loss: dict = dict(type='NLLLoss'),
                 **kwargs) -> None:
        super().__init__(loss=loss, **kwargs)
        self.temperature = temperature

    def adapt(self,
              support_feats: torch.Tensor,
              support_labels: torch.Tensor,
              num_ways: int,
              task_seeds: Optional[Sequence[int]] = None) -> TaskState:
        return dict(
            support=F.normalize(support_feats.flatten(2), dim=-1),
            one_hot=F.one_hot(support_labels,
                              num_ways).to(support_feats.dtype))

    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        query = F.normalize(query_feats.flatten(2), dim=-1)
        attention = (self.temperature *
                     query.bmm(state['support'].transpose(1, 2))).softmax(-1)
        probs = attention.bmm(state['one_hot'])
        return probs.clamp(min=1e-12).log()

    def scores_to_probs(self, scores: torch.Tensor) -> torch.Tensor:
        return scores.exp()
