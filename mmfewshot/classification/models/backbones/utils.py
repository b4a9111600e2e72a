"""Building blocks shared by the few-shot classification backbones."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


class DropBlock(nn.Module):
    """Drop contiguous square regions of a feature map (Ghiasi et al. 2018).

    In training mode, block seeds are sampled independently per sample and
    channel with a Bernoulli rate ``gamma`` chosen so that on average a
    fraction ``drop_rate`` of the activations falls into a dropped block;
    every seed is grown into a ``block_size`` x ``block_size`` square lying
    inside the map, and the kept activations are rescaled by
    ``numel / num_kept`` so the expected mean is preserved. Randomness comes
    from torch's global RNG, so ``torch.manual_seed`` makes it reproducible.
    In eval mode, or with a zero rate, the input is returned unchanged.

    Args:
        drop_rate (float): Target fraction of dropped activations, in
            ``[0, 1)``.
        block_size (int): Side of a dropped square. It is reduced to the
            feature map size when the map is smaller.
        warmup_iters (int): If positive, the rate grows linearly from 0 to
            ``drop_rate`` over this many training forward passes (the
            schedule of MetaOptNet). The pass count is a buffer, so it is
            saved in and resumed from checkpoints; it exists only when
            ``warmup_iters > 0``. Defaults to 0.
    """

    def __init__(self,
                 drop_rate: float,
                 block_size: int,
                 warmup_iters: int = 0) -> None:
        super().__init__()
        if not 0.0 <= drop_rate < 1.0:
            raise ValueError(
                f'DropBlock drop_rate must be in [0, 1), got {drop_rate}')
        if block_size < 1:
            raise ValueError(
                f'DropBlock block_size must be >= 1, got {block_size}')
        if warmup_iters < 0:
            raise ValueError(
                f'DropBlock warmup_iters must be >= 0, got {warmup_iters}')
        self.drop_rate = drop_rate
        self.block_size = block_size
        self.warmup_iters = warmup_iters
        if warmup_iters > 0:
            self.register_buffer('num_iters', torch.tensor(0))

    def current_drop_rate(self) -> float:
        """The drop rate of the next training pass, after warm-up."""
        if self.warmup_iters == 0:
            return self.drop_rate
        progress = min(1.0, self.num_iters.item() / self.warmup_iters)
        return self.drop_rate * progress

    def forward(self, x: Tensor) -> Tensor:
        """Apply DropBlock to ``x`` of shape [N, C, H, W]."""
        if not self.training or self.drop_rate == 0.0:
            return x
        drop_rate = self.current_drop_rate()
        if self.warmup_iters > 0:
            self.num_iters += 1
            if drop_rate == 0.0:
                return x
        height, width = x.shape[-2:]
        block_size = min(self.block_size, height, width)
        seed_height = height - block_size + 1
        seed_width = width - block_size + 1
        # Seeds only where a whole block fits; the second factor corrects
        # for that smaller seed area so the dropped fraction is drop_rate.
        gamma = (drop_rate / block_size**2) * (height * width) / (
            seed_height * seed_width)
        seeds = torch.bernoulli(
            torch.full((*x.shape[:-2], seed_height, seed_width),
                       min(gamma, 1.0),
                       dtype=x.dtype,
                       device=x.device))
        pad = block_size - 1
        block_mask = F.max_pool2d(
            F.pad(seeds, (pad, pad, pad, pad)),
            kernel_size=block_size,
            stride=1)
        keep_mask = 1.0 - block_mask
        # Count in float32: a half-precision sum overflows on large maps.
        num_kept = keep_mask.sum(dtype=torch.float32).clamp(min=1.0)
        scale = keep_mask.numel() / num_kept
        return x * keep_mask * scale

    def extra_repr(self) -> str:
        return (f'drop_rate={self.drop_rate}, block_size={self.block_size}, '
                f'warmup_iters={self.warmup_iters}')


def init_conv_bn_weights(module: nn.Module) -> None:
    """Kaiming-normal convolutions (fan_out, relu), BatchNorm to (1, 0).

    Backbones call this at construction, so a model built outside a runner
    is initialised too; a ``Pretrained`` ``init_cfg`` still overrides these
    weights when ``init_weights()`` runs.

    Args:
        module (nn.Module): The module whose sub-modules are initialised.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(
                layer.weight, mode='fan_out', nonlinearity='relu')
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.modules.batchnorm._BatchNorm):
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)


def format_output(x: Tensor, with_avgpool: bool, flatten: bool) -> Tensor:
    """Turn a backbone's last feature map into its output.

    Args:
        x (Tensor): Feature map of shape [N, C, h, w].
        with_avgpool (bool): Average the map over space to [N, C, 1, 1].
        flatten (bool): Flatten everything after the batch dimension.

    Returns:
        Tensor: [N, D] when ``flatten``, else a map [N, C, h', w'].
    """
    if with_avgpool:
        x = F.adaptive_avg_pool2d(x, 1)
    if flatten:
        x = x.flatten(1)
    return x
