from .base_head import BaseFewShotHead, BaseFinetuneHead, BaseMetricHead
from .cosine_distance_head import CosineDistanceHead
from .linear_head import LinearHead
from .matching_head import MatchingHead
from .meta_baseline_head import MetaBaselineHead
from .neg_margin_head import NegMarginHead
from .prototype_head import PrototypeHead
from .relation_head import RelationHead

__all__ = [
    'BaseFewShotHead', 'BaseFinetuneHead', 'BaseMetricHead',
    'CosineDistanceHead', 'LinearHead', 'MatchingHead', 'MetaBaselineHead',
    'NegMarginHead', 'PrototypeHead', 'RelationHead'
]
