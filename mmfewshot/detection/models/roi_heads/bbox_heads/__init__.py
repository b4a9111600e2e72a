from .cosine_sim_bbox_head import CosineSimBBoxHead, CosineSimClassifier

__all__ = ['CosineSimBBoxHead', 'CosineSimClassifier']
