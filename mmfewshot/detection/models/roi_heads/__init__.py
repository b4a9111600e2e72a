from .bbox_heads import (ContrastiveBBoxHead, CosineSimBBoxHead,
                         CosineSimClassifier, MetaBBoxHead)
from .contrastive_roi_head import ContrastiveRoIHead
from .fsdetview_roi_head import FSDetViewRoIHead
from .meta_rcnn_roi_head import MetaRCNNRoIHead
from .shared_heads import MetaRCNNResLayer, ScaledResLayer

__all__ = [
    'CosineSimBBoxHead', 'CosineSimClassifier', 'ContrastiveBBoxHead',
    'ContrastiveRoIHead', 'MetaBBoxHead', 'MetaRCNNRoIHead',
    'FSDetViewRoIHead', 'MetaRCNNResLayer', 'ScaledResLayer'
]
