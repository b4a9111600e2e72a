from typing import Dict

import torch

from ..utils import episode_layout
from .base import BaseFewShotClassifier, gt_labels


class BaseMetricClassifier(BaseFewShotClassifier):
    """Episodically trained classifiers: the support set of an episode
    defines the classes (prototypes, centroids, attention targets, relation
    inputs) its queries are scored against.

    Training batches hold whole episodes, ``{'support_data': ...,
    'query_data': ...}``, with samples in class-major order (see
    :func:`episode_layout`). The support images of all episodes of a batch
    pass the backbone together, then their query images, and all episodes
    are scored in one batched call of the head.
    """

    def loss(self, support_data: dict, query_data: dict,
             **kwargs) -> Dict[str, torch.Tensor]:
        device = self.device
        support_labels = gt_labels(support_data['data_samples'], device)
        query_labels = gt_labels(query_data['data_samples'], device)
        num_episodes, num_ways, _ = episode_layout(support_labels, 'support')
        query_layout = episode_layout(query_labels, 'query')
        if query_layout[:2] != (num_episodes, num_ways):
            raise ValueError(
                f'support has {num_episodes} episodes of {num_ways} ways but '
                f'query has {query_layout[0]} of {query_layout[1]}')
        # support and query pass the backbone separately, so in training
        # mode each is normalised with its own batch statistics
        support_feats = self.extract_feat(support_data['inputs'])
        query_feats = self.extract_feat(query_data['inputs'])
        return self.head.loss(
            support_feats.view(num_episodes, -1, *support_feats.shape[1:]),
            support_labels.view(num_episodes, -1),
            query_feats.view(num_episodes, -1, *query_feats.shape[1:]),
            query_labels.view(num_episodes, -1))
