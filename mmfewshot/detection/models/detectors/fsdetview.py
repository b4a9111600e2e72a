"""FSDetView: Meta R-CNN with a richer query-support aggregation."""
from mmfewshot.detection.registry import MODELS
from .meta_rcnn import MetaRCNN


@MODELS.register_module()
class FSDetView(MetaRCNN):
    """`FSDetView <https://arxiv.org/abs/2007.12107>`_ (Xiao & Marlet,
    *Few-Shot Object Detection and Viewpoint Estimation for Objects in the
    Wild*, ECCV 2020).

    :class:`MetaRCNN` with :class:`FSDetViewRoIHead`, whose box head reads
    ``[fc(q * s), fc(q - s), q]`` instead of ``q * s``. Its configs freeze
    the aggregator of fine-tuning with ``freeze_norm_stats=False``: the
    aggregators' ``BatchNorm1d`` statistics keep updating, as in the
    original toolbox.

    Args:
        **kwargs: Arguments of :class:`MetaRCNN`.
    """
