"""FSCE: fine-tuning with contrastive proposal encoding."""
from mmdet.models.detectors import TwoStageDetector

from mmfewshot.detection.registry import MODELS
from ..utils import FrozenParametersMixin


@MODELS.register_module()
class FSCE(FrozenParametersMixin, TwoStageDetector):
    """`FSCE <https://arxiv.org/abs/2103.05950>`_ (Sun et al., *FSCE:
    Few-Shot Object Detection via Contrastive Proposal Encoding*, CVPR 2021).

    Mmdet's Faster R-CNN with ``frozen_parameters``, trained in TFA's three
    steps (base training, surgery, fine-tuning) but fine-tuning more of the
    model (RPN, RoI feature extractor) with twice the proposals and half the
    sampled RoIs; with a :class:`ContrastiveRoIHead` and a
    :class:`ContrastiveBBoxHead` the fine-tuning adds a supervised
    contrastive loss on the RoI encodings.

    Args:
        frozen_parameters: Prefixes of the parameters to freeze
            (:class:`FrozenParametersMixin`).
        freeze_norm_stats: Keep normalisation layers of frozen parts in eval
            mode.
        **kwargs: Arguments of mmdet's ``TwoStageDetector``.
    """
