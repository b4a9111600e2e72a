"""ResNet-12, the residual backbone of MetaOptNet and Meta-Baseline."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmfewshot.classification.registry import MODELS
from .utils import DropBlock, format_output, init_conv_bn_weights


def _conv_bn(in_channels: int, out_channels: int,
             kernel_size: int) -> List[nn.Module]:
    return [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            padding=kernel_size // 2,
            bias=False),
        nn.BatchNorm2d(out_channels)
    ]


class ResNet12Block(nn.Module):
    """Three conv3x3-BN layers with LeakyReLU, a 1x1 conv-BN shortcut, then
    LeakyReLU, 2x2 max pooling and dropout or DropBlock.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        drop_rate (float): Rate of the dropout, or of DropBlock when
            ``drop_block`` is True; both act only in training mode.
        drop_block (bool): Use DropBlock instead of plain dropout.
        drop_block_size (int): Side of a DropBlock square.
        drop_block_warmup_iters (int): Iterations over which the DropBlock
            rate ramps up linearly from 0; 0 disables the ramp.
    """

    def __init__(self, in_channels: int, out_channels: int, drop_rate: float,
                 drop_block: bool, drop_block_size: int,
                 drop_block_warmup_iters: int) -> None:
        super().__init__()
        self.residual = nn.Sequential(*_conv_bn(in_channels, out_channels, 3),
                                      nn.LeakyReLU(0.1, inplace=True),
                                      *_conv_bn(out_channels, out_channels, 3),
                                      nn.LeakyReLU(0.1, inplace=True),
                                      *_conv_bn(out_channels, out_channels, 3))
        self.shortcut = nn.Sequential(*_conv_bn(in_channels, out_channels, 1))
        self.activation = nn.LeakyReLU(0.1, inplace=True)
        self.pool = nn.MaxPool2d(2)
        if drop_rate == 0.0:
            self.drop = nn.Identity()
        elif drop_block:
            self.drop = DropBlock(drop_rate, drop_block_size,
                                  drop_block_warmup_iters)
        else:
            self.drop = nn.Dropout(drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        out = self.activation(self.residual(x) + self.shortcut(x))
        return self.drop(self.pool(out))


@MODELS.register_module()
class ResNet12(BaseModule):
    """The few-shot ResNet-12 (Lee et al. 2019, MetaOptNet; Chen et al. 2021,
    Meta-Baseline).

    Four residual stages, each halving the spatial size: 640 x 5 x 5 on
    84 x 84 input, 640 x 2 x 2 on 32 x 32. About 12.4M parameters with the
    default channels.

    Args:
        in_channels (int): Channels of the input image. Defaults to 3.
        channels (Sequence[int]): Output channels of the four stages.
            Defaults to ``(64, 160, 320, 640)``.
        drop_rate (float): Training-time regularisation rate: plain dropout
            in the stages without DropBlock, the DropBlock rate in the
            others. Defaults to 0.0 (none, as in Meta-Baseline; MetaOptNet
            uses 0.1).
        drop_block_stages (Sequence[bool]): Which stages use DropBlock.
            Defaults to the last two.
        drop_block_size (int): Side of a DropBlock square. Defaults to 5.
        drop_block_warmup_iters (int): Training iterations over which the
            DropBlock rate ramps up linearly from 0 to ``drop_rate``;
            0 means the full rate from the start. Defaults to 0.
        with_avgpool (bool): Average the last map over space.
            Defaults to True.
        flatten (bool): Flatten the output to [N, D]. With ``with_avgpool``
            that gives the 640-d vector; without it, 640 * h * w.
            Defaults to True.
        init_cfg (dict | list[dict], optional): mmengine initialisation
            config, e.g. ``dict(type='Pretrained', checkpoint=...)``.
            Without it, convs are Kaiming-normal and BatchNorm is (1, 0).

    Attributes:
        out_channels (int): Channels of the last stage (640 by default).
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (64, 160, 320, 640),
                 drop_rate: float = 0.0,
                 drop_block_stages: Sequence[bool] = (False, False, True,
                                                      True),
                 drop_block_size: int = 5,
                 drop_block_warmup_iters: int = 0,
                 with_avgpool: bool = True,
                 flatten: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(drop_block_stages) != len(channels):
            raise ValueError(
                f'ResNet12 `drop_block_stages` has {len(drop_block_stages)} '
                f'entries but `channels` has {len(channels)}')
        stages = []
        for out_channels, drop_block in zip(channels, drop_block_stages):
            stages.append(
                ResNet12Block(in_channels, out_channels, drop_rate, drop_block,
                              drop_block_size, drop_block_warmup_iters))
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.out_channels = in_channels
        self.with_avgpool = with_avgpool
        self.flatten = flatten
        init_conv_bn_weights(self)

    def forward(self, x: Tensor) -> Tensor:
        """Embed images [N, C, H, W] into [N, D] or [N, C', h, w]."""
        return format_output(self.stages(x), self.with_avgpool, self.flatten)
