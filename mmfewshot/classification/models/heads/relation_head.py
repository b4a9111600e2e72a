from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS
from .base_head import BaseMetricHead, TaskState


def _relation_block(in_channels: int, out_channels: int,
                    padding: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=padding),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True), nn.MaxPool2d(2))


@MODELS.register_module()
class RelationHead(BaseMetricHead):
    """Relation Networks: a learned module scores (class, query) pairs.

    The class representation is the sum of its support feature maps; it is
    concatenated with a query's feature map along the channels and fed to
    two conv blocks and two fully connected layers ending in a sigmoid
    relation score in [0, 1]. Trained by regressing the score to 1 for the
    query's class and 0 otherwise (:class:`MSELoss`).

    Args:
        in_channels: Channels of the backbone feature map.
        feature_size: Spatial size (h, w) of the feature map, e.g. (19, 19)
            for ``Conv4NoPool`` on 84x84 images.
        feat_channels: Channels of the relation module's conv blocks.
        hidden_channels: Width of the hidden fully connected layer.
        padding: Padding of the relation module's convolutions.
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 64,
                 feature_size: Tuple[int, int] = (19, 19),
                 feat_channels: int = 64,
                 hidden_channels: int = 8,
                 padding: int = 0,
                 loss: dict = dict(type='MSELoss'),
                 **kwargs) -> None:
        super().__init__(loss=loss, **kwargs)
        size = [int(s) for s in feature_size]
        for _ in range(2):
            size = [(s + 2 * padding - 2) // 2 for s in size]
        if min(size) < 1:
            raise ValueError(
                f'RelationHead: a feature map of {tuple(feature_size)} is too '
                f'small for two conv(3x3, padding={padding}) + max-pool '
                'blocks; use padding=1 or a larger input')
        self.in_channels = in_channels
        self.feature_size = tuple(feature_size)
        self.blocks = nn.Sequential(
            _relation_block(2 * in_channels, feat_channels, padding),
            _relation_block(feat_channels, feat_channels, padding))
        self.fc = nn.Sequential(
            nn.Linear(feat_channels * size[0] * size[1], hidden_channels),
            nn.ReLU(inplace=True), nn.Linear(hidden_channels, 1))

    def adapt(self,
              support_feats: torch.Tensor,
              support_labels: torch.Tensor,
              num_ways: int,
              task_seeds: Optional[Sequence[int]] = None) -> TaskState:
        if support_feats.dim() != 5:
            raise ValueError(
                'RelationHead needs feature maps [tasks, samples, C, h, w]; '
                f'got shape {tuple(support_feats.shape)} — use a backbone '
                'that is not flattened (e.g. Conv4NoPool)')
        one_hot = F.one_hot(support_labels,
                            num_ways).to(support_feats.dtype)  # [T, S, W]
        sums = one_hot.transpose(1, 2).bmm(support_feats.flatten(2))
        return dict(
            class_maps=sums.view(
                support_feats.size(0), num_ways, *support_feats.shape[2:]))

    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        class_maps = state['class_maps']  # [T, W, C, h, w]
        num_tasks, num_ways = class_maps.shape[:2]
        num_queries = query_feats.size(1)
        pairs = torch.cat(
            torch.broadcast_tensors(
                class_maps.unsqueeze(1),  # [T, 1, W, C, h, w]
                query_feats.unsqueeze(2)),  # [T, Q, 1, C, h, w]
            dim=3)  # [T, Q, W, 2C, h, w]
        relations = self.fc(self.blocks(pairs.flatten(0, 2)).flatten(1))
        return relations.sigmoid().view(num_tasks, num_queries, num_ways)

    def scores_to_probs(self, scores: torch.Tensor) -> torch.Tensor:
        return scores / scores.sum(dim=-1, keepdim=True).clamp(min=1e-12)
