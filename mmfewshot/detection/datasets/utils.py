"""The annotation format of the few-shot detection datasets.

Every dataset of :mod:`mmfewshot.detection.datasets` (and every wrapper built
on them) holds a list of *items*; ``dataset.get_data_info(i)`` returns one::

    {
        'img_path': 'data/VOCdevkit/VOC2007/JPEGImages/000005.jpg',
        'img_id': '000005',           # str for VOC, int for COCO
        'height': 375,
        'width': 500,
        'instances': [
            {'bbox': [262.0, 210.0, 323.0, 338.0],  # x1, y1, x2, y2 (float)
             'bbox_label': 8,          # index into metainfo['classes']
             'ignore_flag': 0},        # 1: difficult / crowd, not a target
            ...
        ],
        'sample_idx': 0,              # added by get_data_info
    }

This is mmdet 3's format, so mmdet's ``LoadAnnotations`` and
``PackDetInputs`` read it directly. An *instance-wise* dataset has exactly one
instance per item (several items may share an image). ``dataset.metainfo``
holds ``classes`` and, split by role, ``base_classes`` and ``novel_classes``
(tuples of class names).

Only instances with ``ignore_flag == 0`` count as shots; the helpers below
apply that rule so that wrappers and tools count the same way.
"""
from collections import Counter
from typing import Dict, Iterable, List


def valid_instances(data_info: dict) -> List[dict]:
    """The instances of an item that are training targets.

    Args:
        data_info: One item of a few-shot detection dataset.

    Returns:
        The instances whose ``ignore_flag`` is 0, in their original order.
    """
    return [
        instance for instance in data_info['instances']
        if not instance['ignore_flag']
    ]


def count_instances(data_list: Iterable[dict]) -> Dict[int, int]:
    """Count the target instances of each label over a list of items.

    Args:
        data_list: Items of a few-shot detection dataset, e.g.
            ``dataset.get_data_list()``.

    Returns:
        A mapping ``label -> number of instances with ignore_flag 0``; labels
        without instances are absent.
    """
    counts: Counter = Counter()
    for data_info in data_list:
        counts.update(instance['bbox_label']
                      for instance in valid_instances(data_info))
    return dict(counts)
