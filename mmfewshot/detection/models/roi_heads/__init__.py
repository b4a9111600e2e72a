from .bbox_heads import (ClsDropoutBBoxHead, ContrastiveBBoxHead,
                         CosineSimBBoxHead, CosineSimClassifier, MetaBBoxHead,
                         MultiRelationBBoxHead, TwoBranchBBoxHead)
from .contrastive_roi_head import ContrastiveRoIHead
from .fsdetview_roi_head import FSDetViewRoIHead
from .meta_rcnn_roi_head import MetaRCNNRoIHead
from .multi_relation_roi_head import MultiRelationRoIHead
from .shared_heads import MetaRCNNResLayer, ScaledResLayer
from .two_branch_roi_head import TwoBranchRoIHead

__all__ = [
    'CosineSimBBoxHead', 'CosineSimClassifier', 'ContrastiveBBoxHead',
    'ContrastiveRoIHead', 'TwoBranchRoIHead', 'TwoBranchBBoxHead',
    'MetaBBoxHead', 'MetaRCNNRoIHead', 'FSDetViewRoIHead', 'MetaRCNNResLayer',
    'ScaledResLayer', 'MultiRelationBBoxHead', 'MultiRelationRoIHead',
    'ClsDropoutBBoxHead'
]
