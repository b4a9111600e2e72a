from .bbox_heads import (ContrastiveBBoxHead, CosineSimBBoxHead,
                         CosineSimClassifier)
from .contrastive_roi_head import ContrastiveRoIHead

__all__ = [
    'CosineSimBBoxHead', 'CosineSimClassifier', 'ContrastiveBBoxHead',
    'ContrastiveRoIHead'
]
