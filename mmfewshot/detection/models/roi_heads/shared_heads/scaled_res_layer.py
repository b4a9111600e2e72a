"""A ResNet stage as the shared RoI head, of any width."""
from mmdet.models.backbones import ResNet
from mmdet.models.layers import ResLayer as _ResLayer
from mmdet.models.roi_heads.shared_heads import ResLayer

from mmfewshot.detection.registry import MODELS


@MODELS.register_module()
class ScaledResLayer(ResLayer):
    """mmdet's ``ResLayer`` (stage ``stage`` of a ResNet, the res5 head of
    C4 detectors) whose width follows ``base_channels`` as ResNet's does:
    ``planes = base_channels * 2 ** stage``. With the default 64 it is
    mmdet's ``ResLayer``, with the same weight names (``layer4.*``), so
    ImageNet ResNet checkpoints load into it; narrower ones serve small
    models (the toy configs).

    Args:
        depth: ResNet depth (18, 34, 50, 101, 152).
        base_channels: Width of the ResNet the stage belongs to.
        **kwargs: Arguments of mmdet's ``ResLayer`` (``stage``, ``stride``,
            ``dilation``, ``style``, ``norm_cfg``, ``norm_eval``,
            ``with_cp``, ``dcn``, ``pretrained``, ``init_cfg``).
    """

    def __init__(self, depth: int, base_channels: int = 64, **kwargs) -> None:
        super().__init__(depth, **kwargs)
        self.base_channels = base_channels
        if base_channels == 64:
            return
        block, stage_blocks = ResNet.arch_settings[depth]
        stage = self.stage
        self.add_module(
            f'layer{stage + 1}',
            _ResLayer(
                block,
                base_channels * 2**(stage - 1) * block.expansion,
                base_channels * 2**stage,
                stage_blocks[stage],
                stride=kwargs.get('stride', 2),
                dilation=kwargs.get('dilation', 1),
                style=kwargs.get('style', 'pytorch'),
                with_cp=kwargs.get('with_cp', False),
                norm_cfg=self.norm_cfg,
                dcn=kwargs.get('dcn')))
