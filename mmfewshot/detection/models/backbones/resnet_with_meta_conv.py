"""ResNet with a second stem convolution for 4-channel image + mask input
(Meta R-CNN, FSDetView)."""
from typing import Tuple

from mmcv.cnn import build_conv_layer
from mmdet.models.backbones import ResNet
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError


@MODELS.register_module()
class ResNetWithMetaConv(ResNet):
    """mmdet's ResNet with ``meta_conv``, a 7 x 7 stride-2 convolution from
    4 channels (image + instance mask) to the stem channels, used in place
    of ``conv1`` for support images. Everything after the first convolution
    (``norm1`` and all stages) is shared by both inputs. ``meta_conv`` is
    not covered by ``frozen_stages`` and starts from the default
    initialisation (it is not in ImageNet checkpoints).

    Args:
        **kwargs: Arguments of mmdet's ``ResNet`` (``deep_stem`` is not
            supported).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.deep_stem:
            raise ConfigError('ResNetWithMetaConv does not support '
                              'deep_stem=True')
        self.meta_conv = build_conv_layer(
            self.conv_cfg,
            4,
            self.stem_channels,
            kernel_size=7,
            stride=2,
            padding=3,
            bias=False)

    def forward(self,
                x: Tensor,
                use_meta_conv: bool = False) -> Tuple[Tensor, ...]:
        """Features of images (``conv1``) or images + masks
        (``meta_conv``).

        Args:
            x: Images, (N, 3, H, W), or images + masks, (N, 4, H, W).
            use_meta_conv: Start with ``meta_conv`` (4-channel input).

        Returns:
            The features of the stages in ``out_indices``.
        """
        x = self.meta_conv(x) if use_meta_conv else self.conv1(x)
        x = self.maxpool(self.relu(self.norm1(x)))
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
