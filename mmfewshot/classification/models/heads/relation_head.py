import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmfewshot.classification.registry import MODELS
from ..losses import MSELoss
from .base_head import BaseMetricHead, TaskState, class_means


def _relation_block(in_channels: int, out_channels: int, padding: int,
                    norm_momentum: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=padding),
        nn.BatchNorm2d(out_channels, momentum=norm_momentum), nn.ReLU(),
        nn.MaxPool2d(2))


@MODELS.register_module()
class RelationHead(BaseMetricHead):
    """Relation Networks (Sung et al., 2018): a learned module scores
    (query, class) pairs.

    A class is represented by the mean of its support feature maps. A
    query's map and a class map are concatenated along the channels (query
    first) and fed to two blocks of conv3x3 -> BatchNorm -> ReLU ->
    max-pool and two fully connected layers with a ReLU between them; the
    output is the relation score of the pair. With the default
    cross-entropy loss the scores of a query are logits over the classes
    (the original toolbox); with :class:`MSELoss` they pass a sigmoid and
    are regressed to 1 for the query's class and 0 for the others (the
    paper).

    Args:
        in_channels: Channels of the backbone feature map.
        feature_size: Spatial size (h, w) of the feature map, e.g. (19, 19)
            for ``Conv4NoPool`` on 84x84 images.
        feat_channels: Channels of the relation module's conv blocks.
            Defaults to ``in_channels``.
        hidden_channels: Width of the hidden fully connected layer.
        padding: Padding of the relation module's convolutions. Defaults to
            1 when both sides of the map are below 10, else 0.
        norm_momentum: Momentum of the BatchNorm running statistics. The
            default 1 keeps the statistics of the last training batch, which
            then normalise the pairs at meta test (the original toolbox).
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 64,
                 feature_size: Tuple[int, int] = (19, 19),
                 feat_channels: Optional[int] = None,
                 hidden_channels: int = 8,
                 padding: Optional[int] = None,
                 norm_momentum: float = 1.0,
                 loss: dict = dict(type='CrossEntropyLoss'),
                 **kwargs) -> None:
        super().__init__(loss=loss, **kwargs)
        if padding is None:
            padding = 1 if max(feature_size) < 10 else 0
        feat_channels = feat_channels or in_channels
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
        self.sigmoid_scores = isinstance(self.loss_module, MSELoss)
        self.blocks = nn.Sequential(
            _relation_block(2 * in_channels, feat_channels, padding,
                            norm_momentum),
            _relation_block(feat_channels, feat_channels, padding,
                            norm_momentum))
        self.fc = nn.Sequential(
            nn.Linear(feat_channels * size[0] * size[1], hidden_channels),
            nn.ReLU(), nn.Linear(hidden_channels, 1))
        self._init_relation_module()

    def _init_relation_module(self) -> None:
        """The initialisation of the original toolbox (and of the paper's
        code): conv weights N(0, 2 / (k * k * out_channels)), BatchNorm
        (1, 0), linear weights N(0, 0.01^2) and biases 1."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_out = module.kernel_size[0] * module.kernel_size[
                    1] * module.out_channels
                nn.init.normal_(module.weight, 0, math.sqrt(2.0 / fan_out))
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.ones_(module.bias)

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
        return dict(
            class_maps=class_means(support_feats, support_labels, num_ways))

    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        class_maps = state['class_maps']  # [T, W, C, h, w]
        num_tasks, num_ways = class_maps.shape[:2]
        num_queries = query_feats.size(1)
        pairs = torch.cat(
            torch.broadcast_tensors(
                query_feats.unsqueeze(2),  # [T, Q, 1, C, h, w]
                class_maps.unsqueeze(1)),  # [T, 1, W, C, h, w]
            dim=3)  # [T, Q, W, 2C, h, w]
        relations = self.fc(self.blocks(pairs.flatten(0, 2)).flatten(1))
        relations = relations.view(num_tasks, num_queries, num_ways)
        return relations.sigmoid() if self.sigmoid_scores else relations

    def scores_to_probs(self, scores: torch.Tensor) -> torch.Tensor:
        if self.sigmoid_scores:
            return scores / scores.sum(dim=-1, keepdim=True).clamp(min=1e-12)
        return scores.softmax(dim=-1)
