from .data_preprocessors import TwoBranchDataPreprocessor
from .detectors import FSCE, TFA
from .losses import SupervisedContrastiveLoss
from .roi_heads import (ContrastiveBBoxHead, ContrastiveRoIHead,
                        CosineSimBBoxHead, CosineSimClassifier)
from .utils import FrozenParametersMixin

__all__ = [
    'TFA', 'CosineSimBBoxHead', 'CosineSimClassifier', 'FrozenParametersMixin',
    'TwoBranchDataPreprocessor', 'FSCE', 'SupervisedContrastiveLoss',
    'ContrastiveRoIHead', 'ContrastiveBBoxHead'
]
