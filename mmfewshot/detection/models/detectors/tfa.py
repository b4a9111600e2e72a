"""TFA: two-stage fine-tuning of Faster R-CNN."""
from mmdet.models.detectors import TwoStageDetector

from mmfewshot.detection.registry import MODELS
from ..utils import FrozenParametersMixin


@MODELS.register_module()
class TFA(FrozenParametersMixin, TwoStageDetector):
    """`TFA <https://arxiv.org/abs/2003.06957>`_ (Wang et al.,
    *Frustratingly Simple Few-Shot Object Detection*, ICML 2020).

    mmdet's Faster R-CNN with ``frozen_parameters``. The method is in the
    recipe: base training of a plain Faster R-CNN on the base classes,
    checkpoint surgery (``tools/detection/misc/initialize_bbox_head.py``)
    that adds rows for the novel classes to the last layers, then
    fine-tuning on a balanced K-shot set of all classes with everything but
    ``fc_cls`` / ``fc_reg`` frozen and a :class:`CosineSimBBoxHead`.

    Args:
        frozen_parameters: Prefixes of the parameters to freeze
            (:class:`FrozenParametersMixin`).
        freeze_norm_stats: Keep normalisation layers of frozen parts in eval
            mode.
        **kwargs: Arguments of mmdet's ``TwoStageDetector`` (``backbone``,
            ``neck``, ``rpn_head``, ``roi_head``, ``train_cfg``,
            ``test_cfg``, ``data_preprocessor``, ``init_cfg``).
    """
