"""Plain convolutional backbones: ConvNet and its Conv4 presets."""
from typing import List, Optional, Sequence, TypeVar, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmfewshot.classification.registry import MODELS
from .utils import format_output, init_conv_bn_weights

T = TypeVar('T')


def _per_block(value: Union[T, Sequence[T]], depth: int, name: str) -> List[T]:
    """Expand a scalar to one value per block, or check a sequence's length."""
    if isinstance(value, (list, tuple)):
        if len(value) != depth:
            raise ValueError(f'ConvNet `{name}` has {len(value)} entries '
                             f'but depth is {depth}: {value}')
        return list(value)
    return [value] * depth


@MODELS.register_module()
class ConvNet(BaseModule):
    """A stack of conv3x3 -> BatchNorm -> ReLU -> optional MaxPool2d(2).

    Args:
        depth (int): Number of conv blocks. Defaults to 4.
        in_channels (int): Channels of the input image. Defaults to 3.
        channels (int | Sequence[int]): Output channels of every block, or
            one value per block. Defaults to 64.
        pooling_blocks (Sequence[bool], optional): Whether each block ends
            with a 2x2 max pooling. Defaults to None, meaning every block
            pools.
        padding (int | Sequence[int]): Padding of every conv, or one value
            per block. Defaults to 1.
        flatten (bool): Return the last feature map flattened to [N, D]
            (``D = out_channels * h * w``, so it depends on the input size)
            instead of the map [N, out_channels, h, w]. Defaults to True.
        init_cfg (dict | list[dict], optional): mmengine initialisation
            config, e.g. ``dict(type='Pretrained', checkpoint=...)``.
            Without it, convs are Kaiming-normal and BatchNorm is (1, 0).

    Attributes:
        out_channels (int): Channels of the last feature map.
    """

    def __init__(self,
                 depth: int = 4,
                 in_channels: int = 3,
                 channels: Union[int, Sequence[int]] = 64,
                 pooling_blocks: Optional[Sequence[bool]] = None,
                 padding: Union[int, Sequence[int]] = 1,
                 flatten: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth < 1:
            raise ValueError(f'ConvNet `depth` must be >= 1, got {depth}')
        block_channels = _per_block(channels, depth, 'channels')
        block_paddings = _per_block(padding, depth, 'padding')
        block_pools = _per_block(
            True if pooling_blocks is None else pooling_blocks, depth,
            'pooling_blocks')
        layers = []
        for out_channels, pad, pool in zip(block_channels, block_paddings,
                                           block_pools):
            layers += [
                nn.Conv2d(
                    in_channels, out_channels, 3, padding=pad, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True)
            ]
            if pool:
                layers.append(nn.MaxPool2d(2))
            in_channels = out_channels
        self.layers = nn.Sequential(*layers)
        self.out_channels = in_channels
        self.flatten = flatten
        init_conv_bn_weights(self)

    def forward(self, x: Tensor) -> Tensor:
        """Embed images [N, C, H, W] into [N, D] or [N, C', h, w]."""
        return format_output(
            self.layers(x), with_avgpool=False, flatten=self.flatten)


@MODELS.register_module()
class Conv4(ConvNet):
    """The Conv-4 of ProtoNet / MatchingNet: 4 pooling blocks of 64 channels.

    Output is the flattened map: 1600-d (64 x 5 x 5) on 84 x 84 input,
    256-d (64 x 2 x 2) on 32 x 32 input.

    Args:
        **kwargs: Any other :class:`ConvNet` argument (``depth`` is 4).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(depth=4, **kwargs)


@MODELS.register_module()
class Conv4NoPool(ConvNet):
    """The embedding module of RelationNet (Sung et al. 2018).

    Four blocks of 64 channels; only the first two max-pool, the first two
    convs have no padding and the last two have padding 1, and the output
    is the feature map, not a vector: 64 x 19 x 19 on 84 x 84 input
    (84 -> 82 -> 41 -> 39 -> 19 -> 19 -> 19) and 64 x 6 x 6 on 32 x 32.

    Args:
        pooling_blocks (Sequence[bool]): Which blocks max-pool.
            Defaults to ``(True, True, False, False)``.
        padding (int | Sequence[int]): Conv padding per block.
            Defaults to ``(0, 0, 1, 1)``.
        flatten (bool): Return [N, D] instead of the map. Defaults to False.
        **kwargs: Any other :class:`ConvNet` argument, e.g. ``channels``.
    """

    def __init__(self,
                 pooling_blocks: Sequence[bool] = (True, True, False, False),
                 padding: Union[int, Sequence[int]] = (0, 0, 1, 1),
                 flatten: bool = False,
                 **kwargs) -> None:
        super().__init__(
            depth=4,
            pooling_blocks=pooling_blocks,
            padding=padding,
            flatten=flatten,
            **kwargs)
