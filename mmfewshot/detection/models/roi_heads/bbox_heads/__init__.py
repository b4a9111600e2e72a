from .contrastive_bbox_head import ContrastiveBBoxHead
from .cosine_sim_bbox_head import CosineSimBBoxHead, CosineSimClassifier
from .meta_bbox_head import MetaBBoxHead

__all__ = [
    'CosineSimBBoxHead', 'CosineSimClassifier', 'ContrastiveBBoxHead',
    'MetaBBoxHead'
]
