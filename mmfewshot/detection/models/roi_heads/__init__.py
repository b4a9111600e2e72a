from .bbox_heads import (ContrastiveBBoxHead, CosineSimBBoxHead,
                         CosineSimClassifier, TwoBranchBBoxHead)
from .contrastive_roi_head import ContrastiveRoIHead
from .two_branch_roi_head import TwoBranchRoIHead

__all__ = [
    'CosineSimBBoxHead', 'CosineSimClassifier', 'ContrastiveBBoxHead',
    'ContrastiveRoIHead', 'TwoBranchRoIHead', 'TwoBranchBBoxHead'
]
