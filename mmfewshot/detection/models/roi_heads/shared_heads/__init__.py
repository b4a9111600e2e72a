from .meta_rcnn_res_layer import MetaRCNNResLayer
from .scaled_res_layer import ScaledResLayer

__all__ = ['MetaRCNNResLayer', 'ScaledResLayer']
