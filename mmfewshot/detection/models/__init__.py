from .data_preprocessors import TwoBranchDataPreprocessor
from .detectors import TFA
from .roi_heads import CosineSimBBoxHead, CosineSimClassifier
from .utils import FrozenParametersMixin

__all__ = [
    'TFA', 'CosineSimBBoxHead', 'CosineSimClassifier', 'FrozenParametersMixin',
    'TwoBranchDataPreprocessor'
]
