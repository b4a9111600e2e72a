from .bbox_heads import CosineSimBBoxHead, CosineSimClassifier

__all__ = ['CosineSimBBoxHead', 'CosineSimClassifier']
