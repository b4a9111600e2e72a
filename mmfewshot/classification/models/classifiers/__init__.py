from .base import BaseFewShotClassifier
from .base_finetune import BaseFinetuneClassifier
from .base_metric import BaseMetricClassifier
from .finetune_classifiers import Baseline, BaselinePlus, NegMargin
from .maml import MAML
from .metric_classifiers import (MatchingNet, MetaBaseline, ProtoNet,
                                 RelationNet)

__all__ = [
    'BaseFewShotClassifier', 'BaseFinetuneClassifier', 'BaseMetricClassifier',
    'Baseline', 'BaselinePlus', 'NegMargin', 'MAML', 'MatchingNet',
    'MetaBaseline', 'ProtoNet', 'RelationNet'
]
