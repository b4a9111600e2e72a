"""The res5 head of Meta R-CNN and FSDetView."""
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS
from .scaled_res_layer import ScaledResLayer


@MODELS.register_module()
class MetaRCNNResLayer(ScaledResLayer):
    """The shared res5 stage with Meta R-CNN's two ways through it.

    Query RoI features: stage -> spatial mean, (N, C). Support images:
    2 x 2 max pooling -> stage -> sigmoid -> spatial mean, (N, C): the
    class-attentive vector of each support instance.

    Args:
        **kwargs: Arguments of :class:`ScaledResLayer`.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_pool = nn.MaxPool2d(2)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        """Query RoI features.

        Args:
            x: RoI features, (N, C_in, H, W).

        Returns:
            (N, C).
        """
        return super().forward(x).mean((2, 3))

    def forward_support(self, x: Tensor) -> Tensor:
        """Support vectors.

        Args:
            x: Backbone features of support images, (N, C_in, H, W).

        Returns:
            (N, C), values in (0, 1).
        """
        return self.sigmoid(super().forward(self.max_pool(x))).mean((2, 3))
