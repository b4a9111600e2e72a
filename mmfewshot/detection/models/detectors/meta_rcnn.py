"""Meta R-CNN: class-attentive vectors from image + mask supports."""
from typing import Dict, Tuple

from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from ..utils import FrozenParametersMixin
from .query_support_detector import QuerySupportDetector, SupportCache


@MODELS.register_module()
class MetaRCNN(FrozenParametersMixin, QuerySupportDetector):
    """`Meta R-CNN <https://arxiv.org/abs/1909.13032>`_ (Yan et al.,
    *Meta R-CNN: Towards General Solver for Instance-level Low-shot
    Learning*, ICCV 2019).

    A support instance is its image with the box mask as a fourth channel
    (``GenerateMask``); the backbone reads it through its ``meta_conv``
    (:class:`ResNetWithMetaConv`) and the RoI head's shared res5 turns it
    into a class-attentive vector (:class:`MetaRCNNResLayer`). The RPN is
    an ordinary one on the query features; :class:`MetaRCNNRoIHead`
    re-weights the query RoI features by the vector of each class. The
    cache holds the mean vector of each class (``'roi_feats'``).

    Args:
        frozen_parameters: Prefixes of the parameters to freeze
            (:class:`FrozenParametersMixin`).
        freeze_norm_stats: Keep normalisation layers of frozen parts in eval
            mode.
        **kwargs: Arguments of :class:`QuerySupportDetector`.
    """

    def extract_support_feat(self, support_inputs: Tensor) -> Tuple[Tensor]:
        """Backbone features of image + mask support inputs (through the
        backbone's ``meta_conv``).

        Args:
            support_inputs: (N, 4, H, W).

        Returns:
            The features, level by level.
        """
        backbone = getattr(self, 'support_backbone', self.backbone)
        feats = backbone(support_inputs, use_meta_conv=True)
        if hasattr(self, 'support_neck'):
            feats = self.support_neck(feats)
        return feats

    def extract_support_instance_feats(
            self, support_inputs: Tensor,
            support_data_samples: SampleList) -> Dict[str, Tensor]:
        """The class-attentive vector of every support instance.

        Args:
            support_inputs: (N, 4, H, W).
            support_data_samples: Their samples.

        Returns:
            ``{'roi_feats': (N, C)}``.
        """
        return dict(
            roi_feats=self.roi_head.extract_support_feats(
                self.extract_support_feat(support_inputs)))

    def predict_with_support(self, query_feats: Tuple[Tensor],
                             batch_data_samples: SampleList,
                             support_cache: SupportCache,
                             rescale: bool) -> InstanceList:
        """RPN proposals, then the RoI head with every cached vector.

        Args:
            query_feats: Query features.
            batch_data_samples: Query samples.
            support_cache: ``{label: {'roi_feats': vector}}``.
            rescale: Boxes in original image coordinates.

        Returns:
            One ``InstanceData`` per image.
        """
        rpn_results_list = self.rpn_head.predict(
            query_feats, batch_data_samples, rescale=False)
        return self.roi_head.predict_with_support(
            query_feats, rpn_results_list, batch_data_samples, {
                label: feats['roi_feats']
                for label, feats in support_cache.items()
            }, rescale)
