from .cls_dropout_bbox_head import ClsDropoutBBoxHead
from .contrastive_bbox_head import ContrastiveBBoxHead
from .cosine_sim_bbox_head import CosineSimBBoxHead, CosineSimClassifier
from .meta_bbox_head import MetaBBoxHead
from .multi_relation_bbox_head import MultiRelationBBoxHead
from .two_branch_bbox_head import TwoBranchBBoxHead

__all__ = [
    'CosineSimBBoxHead', 'CosineSimClassifier', 'ContrastiveBBoxHead',
    'TwoBranchBBoxHead', 'MetaBBoxHead', 'MultiRelationBBoxHead',
    'ClsDropoutBBoxHead'
]
