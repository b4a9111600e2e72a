"""Aggregation of query and support features (query-support detectors).

Every aggregator takes query features ``(N, C, H, W)`` and support features
``(1, C, h, w)`` (one support for all queries) or ``(N, C, h, w)`` (one per
query) and returns one tensor; :class:`AggregationLayer` runs several and
returns the list of their outputs. With ``with_fc=True`` the output is
flattened and passed through ``Linear -> BatchNorm1d -> ReLU`` (used on
1 x 1 RoI features, where it gives ``(N, out_channels)``).
"""
from abc import abstractmethod
from typing import List, Optional, Union

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError


class _Aggregator(BaseModule):
    """Shared argument handling and the optional fully connected block."""

    def __init__(self,
                 in_channels: Optional[int] = None,
                 out_channels: Optional[int] = None,
                 with_fc: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.with_fc = with_fc
        if with_fc:
            if in_channels is None or out_channels is None:
                raise ConfigError(f'{type(self).__name__} with_fc=True needs '
                                  '`in_channels` and `out_channels`')
            self.fc = nn.Linear(in_channels, out_channels)
            self.norm = nn.BatchNorm1d(out_channels)
            self.relu = nn.ReLU(inplace=True)

    def forward(self, query_feat: Tensor, support_feat: Tensor) -> Tensor:
        """Aggregate.

        Args:
            query_feat: Query features, (N, C, H, W).
            support_feat: Support features, (1, C, h, w) or (N, C, h, w).

        Returns:
            The aggregated features, (N, C', H', W') or, with ``with_fc``,
            (N, out_channels).
        """
        if query_feat.size(1) != support_feat.size(1):
            raise ValueError(
                f'{type(self).__name__}: query features have '
                f'{query_feat.size(1)} channels, support features '
                f'{support_feat.size(1)}')
        if support_feat.size(0) not in (1, query_feat.size(0)):
            raise ValueError(
                f'{type(self).__name__}: {support_feat.size(0)} support '
                f'features for {query_feat.size(0)} query features')
        feat = self.aggregate(query_feat, support_feat)
        if self.with_fc:
            feat = self.relu(self.norm(self.fc(feat.flatten(1))))
        return feat

    @abstractmethod
    def aggregate(self, query_feat: Tensor, support_feat: Tensor) -> Tensor:
        """The aggregation itself, before the fully connected block."""


@MODELS.register_module()
class DepthWiseCorrelationAggregator(_Aggregator):
    """Depth-wise correlation: every query channel is correlated with the
    same channel of the support feature used as a kernel (no padding), so a
    ``(h, w)`` support gives ``(H - h + 1, W - w + 1)`` maps; on 1 x 1
    features it is the element-wise product. Several queries with their own
    supports are correlated in one grouped convolution.

    Args:
        in_channels: Channels of the features.
        out_channels: Output size of the fully connected block.
        with_fc: Add ``Linear -> BatchNorm1d -> ReLU``.
        init_cfg: Initialisation config.
    """

    def aggregate(self, query_feat: Tensor, support_feat: Tensor) -> Tensor:
        num_queries, channels = query_feat.shape[:2]
        kernel = support_feat.expand(num_queries, -1, -1, -1)
        feat = F.conv2d(
            query_feat.reshape(1, num_queries * channels,
                               *query_feat.shape[2:]),
            kernel.reshape(num_queries * channels, 1, *kernel.shape[2:]),
            groups=num_queries * channels)
        return feat.reshape(num_queries, channels, *feat.shape[2:])


@MODELS.register_module()
class DifferenceAggregator(_Aggregator):
    """``query - support`` (broadcast over space when the support is 1 x 1).

    Args:
        in_channels: Channels of the features.
        out_channels: Output size of the fully connected block.
        with_fc: Add ``Linear -> BatchNorm1d -> ReLU``.
        init_cfg: Initialisation config.
    """

    def aggregate(self, query_feat: Tensor, support_feat: Tensor) -> Tensor:
        return query_feat - support_feat


@MODELS.register_module()
class DotProductAggregator(_Aggregator):
    """``query * support``, element-wise (Meta R-CNN's channel attention).

    Args:
        in_channels: Channels of the features.
        out_channels: Output size of the fully connected block.
        with_fc: Add ``Linear -> BatchNorm1d -> ReLU``.
        init_cfg: Initialisation config.
    """

    def aggregate(self, query_feat: Tensor, support_feat: Tensor) -> Tensor:
        return query_feat * support_feat


@MODELS.register_module()
class AggregationLayer(BaseModule):
    """Several aggregators applied to the same query and support features.

    Args:
        aggregator_cfgs: Configs of the aggregators.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 aggregator_cfgs: List[dict],
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        if not aggregator_cfgs:
            raise ConfigError('AggregationLayer needs at least one config in '
                              '`aggregator_cfgs`')
        self.aggregator_list = nn.ModuleList(
            MODELS.build(cfg) for cfg in aggregator_cfgs)

    def forward(self, query_feat: Tensor,
                support_feat: Tensor) -> List[Tensor]:
        """The output of every aggregator, in config order.

        Args:
            query_feat: Query features, (N, C, H, W).
            support_feat: Support features, (1, C, h, w) or (N, C, h, w).

        Returns:
            One tensor per aggregator.
        """
        return [
            aggregator(query_feat, support_feat)
            for aggregator in self.aggregator_list
        ]
