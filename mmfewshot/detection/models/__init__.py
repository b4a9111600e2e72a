from .backbones import ResNetWithMetaConv
from .data_preprocessors import (QuerySupportDataPreprocessor,
                                 TwoBranchDataPreprocessor)
from .detectors import FSCE, TFA, FSDetView, MetaRCNN, QuerySupportDetector
from .layers import (AggregationLayer, DepthWiseCorrelationAggregator,
                     DifferenceAggregator, DotProductAggregator)
from .losses import SupervisedContrastiveLoss
from .roi_heads import (ContrastiveBBoxHead, ContrastiveRoIHead,
                        CosineSimBBoxHead, CosineSimClassifier,
                        FSDetViewRoIHead, MetaBBoxHead, MetaRCNNResLayer,
                        MetaRCNNRoIHead, ScaledResLayer)
from .utils import FrozenParametersMixin

__all__ = [
    'TFA', 'CosineSimBBoxHead', 'CosineSimClassifier', 'FrozenParametersMixin',
    'TwoBranchDataPreprocessor', 'FSCE', 'SupervisedContrastiveLoss',
    'ContrastiveRoIHead', 'ContrastiveBBoxHead', 'ResNetWithMetaConv',
    'QuerySupportDataPreprocessor', 'QuerySupportDetector', 'MetaRCNN',
    'FSDetView', 'AggregationLayer', 'DepthWiseCorrelationAggregator',
    'DifferenceAggregator', 'DotProductAggregator', 'MetaBBoxHead',
    'MetaRCNNResLayer', 'MetaRCNNRoIHead', 'FSDetViewRoIHead',
    'ScaledResLayer'
]
