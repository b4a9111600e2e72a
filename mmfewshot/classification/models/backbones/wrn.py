"""Wide residual networks (Zagoruyko & Komodakis 2016) for few-shot work."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmfewshot.classification.registry import MODELS
from .utils import format_output, init_conv_bn_weights


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3(stride) -> BN-ReLU-dropout-conv3x3 plus a shortcut.

    The shortcut is the identity when shape is kept, otherwise a strided
    1x1 conv applied to the block's first BN-ReLU output.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv and of the shortcut.
        drop_rate (float): Dropout rate between the two convs (training
            mode only).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 drop_rate: float) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, padding=1, bias=False)
        self.drop_rate = drop_rate
        if stride == 1 and in_channels == out_channels:
            self.shortcut = None
        else:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        pre_activated = F.relu(self.bn1(x))
        out = self.conv1(pre_activated)
        out = F.relu(self.bn2(out))
        out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)
        if self.shortcut is None:
            return out + x
        return out + self.shortcut(pre_activated)


@MODELS.register_module()
class WideResNet(BaseModule):
    """Wide ResNet of pre-activation basic blocks.

    A conv3x3 stem, three stages of ``(depth - 4) / 6`` blocks with
    ``base_channels * widen_factor * (1, 2, 4)`` channels, a final
    BN-ReLU, then the output step.

    Args:
        depth (int): Total depth; ``depth - 4`` must be divisible by 6.
        widen_factor (int): Channel multiplier of the three stages.
        in_channels (int): Channels of the input image. Defaults to 3.
        base_channels (int): Channels of the stem and, times
            ``widen_factor``, of the first stage. Defaults to 16.
        strides (Sequence[int]): Stride of the first block of each stage.
            Defaults to ``(1, 2, 2)``.
        drop_rate (float): Dropout rate inside every block (training mode
            only). Defaults to 0.0.
        with_avgpool (bool): Average the last map over space.
            Defaults to True.
        flatten (bool): Flatten the output to [N, D]. Defaults to True.
        init_cfg (dict | list[dict], optional): mmengine initialisation
            config, e.g. ``dict(type='Pretrained', checkpoint=...)``.
            Without it, convs are Kaiming-normal and BatchNorm is (1, 0).

    Attributes:
        out_channels (int): Channels of the last stage.
    """

    def __init__(self,
                 depth: int,
                 widen_factor: int,
                 in_channels: int = 3,
                 base_channels: int = 16,
                 strides: Sequence[int] = (1, 2, 2),
                 drop_rate: float = 0.0,
                 with_avgpool: bool = True,
                 flatten: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ValueError('WideResNet `depth` must be 6 * n + 4 with '
                             f'n >= 1 (e.g. 28), got {depth}')
        num_blocks = (depth - 4) // 6
        self.stem = nn.Conv2d(
            in_channels, base_channels, 3, padding=1, bias=False)
        stages = []
        stage_in = base_channels
        for stage_idx, stride in enumerate(strides):
            stage_out = base_channels * widen_factor * 2**stage_idx
            blocks = [PreActBlock(stage_in, stage_out, stride, drop_rate)]
            blocks += [
                PreActBlock(stage_out, stage_out, 1, drop_rate)
                for _ in range(num_blocks - 1)
            ]
            stages.append(nn.Sequential(*blocks))
            stage_in = stage_out
        self.stages = nn.Sequential(*stages)
        self.final_bn = nn.BatchNorm2d(stage_in)
        self.out_channels = stage_in
        self.with_avgpool = with_avgpool
        self.flatten = flatten
        init_conv_bn_weights(self)

    def forward(self, x: Tensor) -> Tensor:
        """Embed images [N, C, H, W] into [N, D] or [N, C', h, w]."""
        x = F.relu(self.final_bn(self.stages(self.stem(x))))
        return format_output(x, self.with_avgpool, self.flatten)


@MODELS.register_module()
class WRN28x10(WideResNet):
    """WRN-28-10 as in few-shot baselines (S2M2, Baseline reproductions).

    Channels (16, 160, 320, 640), strides (1, 2, 2): the map before pooling
    is 21 x 21 on 84 x 84 input and 8 x 8 on 32 x 32; the output is the
    640-d average-pooled vector. About 36.5M parameters.

    Args:
        **kwargs: Any other :class:`WideResNet` argument except ``depth``
            and ``widen_factor``, e.g. ``drop_rate`` or ``flatten``.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(depth=28, widen_factor=10, **kwargs)
