from .backbones import ResNetWithMetaConv
from .data_preprocessors import (FewShotDetDataPreprocessor,
                                 QuerySupportDataPreprocessor,
                                 TwoBranchDataPreprocessor)
from .dense_heads import AttentionRPNHead, TwoBranchRPNHead
from .detectors import (FSCE, MPSR, TFA, AttentionRPNDetector, DeFRCN,
                        FSDetView, MetaRCNN, QuerySupportDetector)
from .layers import (AggregationLayer, DepthWiseCorrelationAggregator,
                     DifferenceAggregator, DotProductAggregator,
                     GradientDecoupledLayer, PrototypicalCalibrationBlock)
from .losses import SupervisedContrastiveLoss
from .roi_heads import (ClsDropoutBBoxHead, ContrastiveBBoxHead,
                        ContrastiveRoIHead, CosineSimBBoxHead,
                        CosineSimClassifier, FSDetViewRoIHead, MetaBBoxHead,
                        MetaRCNNResLayer, MetaRCNNRoIHead,
                        MultiRelationBBoxHead, MultiRelationRoIHead,
                        ScaledResLayer, TwoBranchBBoxHead, TwoBranchRoIHead)
from .utils import FrozenParametersMixin

__all__ = [
    'TFA', 'CosineSimBBoxHead', 'CosineSimClassifier', 'FrozenParametersMixin',
    'TwoBranchDataPreprocessor', 'FSCE', 'SupervisedContrastiveLoss',
    'ContrastiveRoIHead', 'ContrastiveBBoxHead', 'MPSR', 'TwoBranchRPNHead',
    'TwoBranchRoIHead', 'TwoBranchBBoxHead', 'ResNetWithMetaConv',
    'QuerySupportDataPreprocessor', 'QuerySupportDetector', 'MetaRCNN',
    'FSDetView', 'AggregationLayer', 'DepthWiseCorrelationAggregator',
    'DifferenceAggregator', 'DotProductAggregator', 'MetaBBoxHead',
    'MetaRCNNResLayer', 'MetaRCNNRoIHead', 'FSDetViewRoIHead',
    'ScaledResLayer', 'AttentionRPNDetector', 'AttentionRPNHead',
    'MultiRelationRoIHead', 'MultiRelationBBoxHead', 'DeFRCN',
    'GradientDecoupledLayer', 'PrototypicalCalibrationBlock',
    'ClsDropoutBBoxHead', 'FewShotDetDataPreprocessor'
]
