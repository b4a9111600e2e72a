from .data_preprocessors import TwoBranchDataPreprocessor
from .dense_heads import TwoBranchRPNHead
from .detectors import FSCE, MPSR, TFA
from .losses import SupervisedContrastiveLoss
from .roi_heads import (ContrastiveBBoxHead, ContrastiveRoIHead,
                        CosineSimBBoxHead, CosineSimClassifier,
                        TwoBranchBBoxHead, TwoBranchRoIHead)
from .utils import FrozenParametersMixin

__all__ = [
    'TFA', 'CosineSimBBoxHead', 'CosineSimClassifier', 'FrozenParametersMixin',
    'TwoBranchDataPreprocessor', 'FSCE', 'SupervisedContrastiveLoss',
    'ContrastiveRoIHead', 'ContrastiveBBoxHead', 'MPSR', 'TwoBranchRPNHead',
    'TwoBranchRoIHead', 'TwoBranchBBoxHead'
]
