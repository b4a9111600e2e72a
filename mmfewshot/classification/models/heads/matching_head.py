from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import BaseMetricHead, TaskState


@MODELS.register_module()
class MatchingHead(BaseMetricHead):
    """Matching Networks (without full context embeddings): attention over
    the support set.

    A query attends to every support sample with a softmax over their
    cosine similarities times ``temperature``; the score of a class is the
    mean attention on its support samples. The head returns the logarithm
    of these scores, so its loss is :class:`NLLLoss`.

    Args:
        temperature: Scale of the cosine similarities before the softmax.
        softmax_scores: The class probabilities are the softmax of the class
            scores (mean attentions, each in [0, 1]), as the original
            MMFewShot 0.1.0 computes them (``MatchingHead.forward_query``);
            False gives the class scores normalised to sum to 1. The
            predicted class is the same either way.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 temperature: float = 100.0,
                 loss: dict = dict(type='NLLLoss'),
                 softmax_scores: bool = True,
                 **kwargs) -> None:
        super().__init__(loss=loss, **kwargs)
        self.temperature = temperature
        self.softmax_scores = softmax_scores

    def adapt(self,
              support_feats: torch.Tensor,
              support_labels: torch.Tensor,
              num_ways: int,
              task_seeds: Optional[Sequence[int]] = None) -> TaskState:
        one_hot = F.one_hot(support_labels, num_ways).to(support_feats.dtype)
        return dict(
            support=F.normalize(support_feats.flatten(2), dim=-1),
            class_weights=one_hot / one_hot.sum(1, keepdim=True).clamp(min=1))

    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        query = F.normalize(query_feats.flatten(2), dim=-1)
        attention = (self.temperature *
                     query.bmm(state['support'].transpose(1, 2))).softmax(-1)
        # the clamp keeps an attention that underflowed to 0 finite
        return attention.bmm(state['class_weights']).clamp(min=1e-12).log()

    def scores_to_probs(self, scores: torch.Tensor) -> torch.Tensor:
        """Class probabilities of the log class scores of :meth:`predict`
        (see ``softmax_scores``)."""
        if self.softmax_scores:
            return scores.exp().softmax(dim=-1)
        return scores.softmax(dim=-1)
