"""The metric-based methods: each is a backbone and its defining head."""
from mmfewshot.classification.registry import MODELS
from .base_metric import BaseMetricClassifier


@MODELS.register_module()
class ProtoNet(BaseMetricClassifier):
    """Prototypical Networks (Snell et al., 2017).

    Queries are scored by their negative Euclidean distance to the mean
    support feature of each class (:class:`PrototypeHead`; squared with
    ``head=dict(type='PrototypeHead', squared=True)``, as in the paper).
    """

    def __init__(self,
                 backbone: dict = dict(type='Conv4'),
                 head: dict = dict(type='PrototypeHead'),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)


@MODELS.register_module()
class RelationNet(BaseMetricClassifier):
    """Relation Networks (Sung et al., 2018).

    A learned relation module scores the concatenation of a query feature
    map and a class's mean support feature map (:class:`RelationHead`);
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
    (:class:`MetaBaselineHead`), meta-trained from the backbone of a
    Baseline classifier trained on all base classes (load it with the
    backbone's ``init_cfg``).
    """

    def __init__(self,
                 backbone: dict = dict(type='ResNet12'),
                 head: dict = dict(type='MetaBaselineHead'),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)
