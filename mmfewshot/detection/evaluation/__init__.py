from .class_splits import parse_class_splits, resolve_class_splits
from .few_shot_coco_metric import FewShotCocoMetric
from .few_shot_voc_metric import FewShotVOCMetric

__all__ = [
    'FewShotCocoMetric', 'FewShotVOCMetric', 'parse_class_splits',
    'resolve_class_splits'
]
