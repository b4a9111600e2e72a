"""The Gradient Decoupled Layer of DeFRCN."""
from typing import Any, Tuple

import torch
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; the gradient multiplied by a constant backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> Tuple[Tensor, None]:
        return grad_output * ctx.scale, None


def scale_gradient(x: Tensor, scale: float) -> Tensor:
    """Return ``x`` unchanged, but scale the gradient that flows back
    through it by ``scale``.

    ``scale=0`` stops the gradient (the input receives zeros), ``scale=1``
    is the identity, a negative scale reverses it.

    Args:
        x: Any tensor.
        scale: The factor of the backward gradient.

    Returns:
        A tensor equal to ``x``.
    """
    return _ScaleGradient.apply(x, float(scale))


@MODELS.register_module()
class GradientDecoupledLayer(nn.Module):
    """Gradient Decoupled Layer of `DeFRCN <https://arxiv.org/abs/2108.09017>`_
    (Qiao et al., *DeFRCN: Decoupled Faster R-CNN for Few-Shot Object
    Detection*, ICCV 2021).

    Sits between the backbone and a head. Forward, it applies a learnable
    per-channel affine map, ``y = weight * x + bias`` with ``weight`` and
    ``bias`` of shape (1, C, 1, 1) initialised to 1 and 0 (the authors'
    ``AffineLayer``); backward, the gradient that reaches the backbone is
    multiplied by ``backward_scale`` (``decouple_layer``), while ``weight``
    and ``bias`` get their full gradient. The authors' configs use 0.0
    between the backbone and the RPN, and between the backbone and the RoI
    head 0.75 in base training, 0.001 in VOC and 0.01 in COCO fine-tuning.

    Args:
        in_channels: Channels C of the features.
        backward_scale: The factor of the gradient passed back to the
            features.
    """

    def __init__(self, in_channels: int, backward_scale: float) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.backward_scale = float(backward_scale)
        self.weight = nn.Parameter(torch.ones(1, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, in_channels, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Affine map of the features with the scaled backward gradient.

        Args:
            x: Features, (N, C, H, W).

        Returns:
            ``weight * x + bias``, (N, C, H, W).
        """
        return scale_gradient(x, self.backward_scale) * self.weight + \
            self.bias

    def extra_repr(self) -> str:
        return (f'in_channels={self.in_channels}, '
                f'backward_scale={self.backward_scale}')
