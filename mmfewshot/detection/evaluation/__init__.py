from .class_splits import (ClassSplitsMixin, parse_class_splits,
                           resolve_class_splits)
from .few_shot_coco_metric import FewShotCocoMetric
from .few_shot_voc_metric import FewShotVOCMetric

__all__ = [
    'ClassSplitsMixin', 'FewShotCocoMetric', 'FewShotVOCMetric',
    'parse_class_splits', 'resolve_class_splits'
]
