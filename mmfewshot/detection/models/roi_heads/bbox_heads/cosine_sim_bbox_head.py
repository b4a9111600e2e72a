"""The cosine-similarity box classifier of TFA."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.bbox_heads import ConvFCBBoxHead
from torch import Tensor, nn

from mmfewshot.detection.registry import MODELS


@MODELS.register_module()
class CosineSimClassifier(nn.Linear):
    """A bias-free linear classifier on L2-normalised features and weights.

    ``score[i, c] = scale * <x_i / (|x_i| + eps), w_c / (|w_c| + eps)>``.

    As in the TFA implementation (and the original toolbox), the rows of
    ``weight`` are renormalised **in place, without gradient** at every
    forward pass; the gradient of a step is that of a linear layer at the
    unit-norm weights. Features are normalised in float32.

    Args:
        in_features: Feature size.
        out_features: Number of scores (classes + background).
        scale: The factor of the cosine similarity (TFA: 20).
        learnable_scale: Make ``scale`` a parameter initialised to
            ``scale``.
        eps: Added to the norms before dividing.
    """

    def __init__(self,
                 in_features: int,
                 out_features: int,
                 scale: float = 20.,
                 learnable_scale: bool = False,
                 eps: float = 1e-5) -> None:
        super().__init__(in_features, out_features, bias=False)
        self.eps = eps
        if learnable_scale:
            self.scale = nn.Parameter(torch.tensor(float(scale)))
        else:
            self.scale = float(scale)

    def forward(self, x: Tensor) -> Tensor:
        """Cosine scores.

        Args:
            x: Features, (N, in_features).

        Returns:
            Scores, (N, out_features), in float32.
        """
        x = x.float()
        x_normed = x / (x.norm(p=2, dim=1, keepdim=True) + self.eps)
        with torch.no_grad():
            self.weight.div_(
                self.weight.norm(p=2, dim=1, keepdim=True) + self.eps)
        return self.scale * F.linear(x_normed, self.weight.float())

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, scale={float(self.scale)}, '
                f'eps={self.eps}')


@MODELS.register_module()
class CosineSimBBoxHead(ConvFCBBoxHead):
    """Box head of `TFA <https://arxiv.org/abs/2003.06957>`_ (Wang et al.,
    *Frustratingly Simple Few-Shot Object Detection*, ICML 2020).

    mmdet's ``ConvFCBBoxHead`` (two shared fully connected layers by
    default, as ``Shared2FCBBoxHead``) whose classifier ``fc_cls`` is a
    :class:`CosineSimClassifier`: ``cls_score = scale * cos(feature, class
    weight)``, no bias. Regression, losses, targets and prediction are
    mmdet's.

    Args:
        scale: The factor of the cosine similarity. Default 20.
        learnable_scale: Learn the factor, starting at ``scale``.
        eps: Added to the norms before dividing. Default 1e-5.
        num_shared_fcs: Shared fully connected layers. Default 2.
        cls_predictor_cfg: Must be None: the classifier is the cosine one.
        **kwargs: Arguments of ``ConvFCBBoxHead`` / ``BBoxHead``
            (``in_channels``, ``fc_out_channels``, ``roi_feat_size``,
            ``num_classes``, ``bbox_coder``, ``loss_cls``, ...).

    Raises:
        ValueError: when ``cls_predictor_cfg`` is given.
    """

    def __init__(self,
                 scale: float = 20.,
                 learnable_scale: bool = False,
                 eps: float = 1e-5,
                 num_shared_fcs: int = 2,
                 cls_predictor_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if cls_predictor_cfg is not None:
            raise ValueError(
                'CosineSimBBoxHead builds its own classifier; remove '
                '`cls_predictor_cfg` from its config')
        super().__init__(
            num_shared_fcs=num_shared_fcs,
            cls_predictor_cfg=dict(
                type=CosineSimClassifier,
                scale=scale,
                learnable_scale=learnable_scale,
                eps=eps),
            **kwargs)
