from .contrastive_bbox_head import ContrastiveBBoxHead
from .cosine_sim_bbox_head import CosineSimBBoxHead, CosineSimClassifier

__all__ = ['CosineSimBBoxHead', 'CosineSimClassifier', 'ContrastiveBBoxHead']
