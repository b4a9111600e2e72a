"""The metric-based methods: each is a backbone and its defining head."""
from mmfewshot.classification.registry import MODELS
from .base_metric import BaseMetricClassifier


@MODELS.register_module()
class ProtoNet(BaseMetricClassifier):
    """Prototypical Networks (Snell et al., 2017).

    Queries are scored by negative squared Euclidean distance to the mean
    support feature of each class (:class:`PrototypeHead`).
    """

    def __init__(self,
                 backbone: dict = dict(type='Conv4'),
                 head: dict = dict(type='PrototypeHead'),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)


@MODELS.register_module()
class RelationNet(BaseMetricClassifier):
    """Relation Networks (Sung et al., 2018).

    A learned relation module scores the concatenation of a class's summed
    support feature maps and a query feature map (:class:`RelationHead`);
    the backbone keeps spatial maps (``Conv4NoPool``).
    """

    def __init__(self,
                 backbone: dict = dict(type='Conv4NoPool'),
                 head: dict = dict(type='RelationHead'),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)


@MODELS.register_module()
class MatchingNet(BaseMetricClassifier):
    """Matching Networks (Vinyals et al., 2016).

    Queries attend to the support samples by scaled cosine similarity and
    the class probabilities are the attention per class
    (:class:`MatchingHead`).
    """

    def __init__(self,
                 backbone: dict = dict(type='Conv4'),
                 head: dict = dict(type='MatchingHead'),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)


@MODELS.register_module()
class MetaBaseline(BaseMetricClassifier):
    """Meta-Baseline (Chen et al., 2021).

    Cosine similarity to class centroids with a learnable temperature
    (:class:`MetaBaselineHead`), meta-trained from a backbone pre-trained
    as a classifier on all base classes (load it with ``init_cfg`` or
    ``load_from``).
    """

    def __init__(self,
                 backbone: dict = dict(type='ResNet12'),
                 head: dict = dict(type='MetaBaselineHead'),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)
