from .attention_rpn_detector import AttentionRPNDetector
from .defrcn import DeFRCN
from .fsce import FSCE
from .fsdetview import FSDetView
from .meta_rcnn import MetaRCNN
from .mpsr import MPSR
from .query_support_detector import QuerySupportDetector
from .tfa import TFA

__all__ = [
    'TFA', 'FSCE', 'MPSR', 'QuerySupportDetector', 'MetaRCNN', 'FSDetView',
    'AttentionRPNDetector', 'DeFRCN'
]
