"""Predefined base / novel class splits of the few-shot detection benchmarks.

PASCAL VOC has three splits of its 20 classes into 15 base and 5 novel
classes (the splits of the TFA / FsDet benchmark). Each ``ALL_CLASSES_SPLITk``
lists the base classes first and the novel classes after them, so the labels
of the novel classes are the last five.

COCO uses its 80 classes: the 20 that are also PASCAL VOC classes (under
their COCO names) are novel, the other 60 are base. ``ALL_CLASSES`` is in the
canonical COCO order (the order of mmdet's ``CocoDataset``), and
``COCO_CATEGORY_IDS`` holds the official category id of each of them.
"""
import os.path as osp
import re
from typing import Any, Dict, Optional, Tuple

from mmfewshot.utils.class_names import as_class_names
from mmfewshot.utils.errors import ConfigKeyError

ClassNames = Tuple[str, ...]

#: PASCAL VOC split 1: the 15 base classes.
BASE_CLASSES_SPLIT1: ClassNames = ('aeroplane', 'bicycle', 'boat', 'bottle',
                                   'car', 'cat', 'chair', 'diningtable', 'dog',
                                   'horse', 'person', 'pottedplant', 'sheep',
                                   'train', 'tvmonitor')
#: PASCAL VOC split 1: the 5 novel classes.
NOVEL_CLASSES_SPLIT1: ClassNames = ('bird', 'bus', 'cow', 'motorbike', 'sofa')
#: PASCAL VOC split 2: the 15 base classes.
BASE_CLASSES_SPLIT2: ClassNames = ('bicycle', 'bird', 'boat', 'bus', 'car',
                                   'cat', 'chair', 'diningtable', 'dog',
                                   'motorbike', 'person', 'pottedplant',
                                   'sheep', 'train', 'tvmonitor')
#: PASCAL VOC split 2: the 5 novel classes.
NOVEL_CLASSES_SPLIT2: ClassNames = ('aeroplane', 'bottle', 'cow', 'horse',
                                    'sofa')
#: PASCAL VOC split 3: the 15 base classes.
BASE_CLASSES_SPLIT3: ClassNames = ('aeroplane', 'bicycle', 'bird', 'bottle',
                                   'bus', 'car', 'chair', 'cow', 'diningtable',
                                   'dog', 'horse', 'person', 'pottedplant',
                                   'train', 'tvmonitor')
#: PASCAL VOC split 3: the 5 novel classes.
NOVEL_CLASSES_SPLIT3: ClassNames = ('boat', 'cat', 'motorbike', 'sheep',
                                    'sofa')
#: PASCAL VOC split 1: base classes, then novel classes.
ALL_CLASSES_SPLIT1: ClassNames = BASE_CLASSES_SPLIT1 + NOVEL_CLASSES_SPLIT1
#: PASCAL VOC split 2: base classes, then novel classes.
ALL_CLASSES_SPLIT2: ClassNames = BASE_CLASSES_SPLIT2 + NOVEL_CLASSES_SPLIT2
#: PASCAL VOC split 3: base classes, then novel classes.
ALL_CLASSES_SPLIT3: ClassNames = BASE_CLASSES_SPLIT3 + NOVEL_CLASSES_SPLIT3

#: The nine PASCAL VOC class lists by name (``ALL_CLASSES_SPLIT1`` ...).
VOC_SPLIT: Dict[str, ClassNames] = dict(
    ALL_CLASSES_SPLIT1=ALL_CLASSES_SPLIT1,
    ALL_CLASSES_SPLIT2=ALL_CLASSES_SPLIT2,
    ALL_CLASSES_SPLIT3=ALL_CLASSES_SPLIT3,
    BASE_CLASSES_SPLIT1=BASE_CLASSES_SPLIT1,
    BASE_CLASSES_SPLIT2=BASE_CLASSES_SPLIT2,
    BASE_CLASSES_SPLIT3=BASE_CLASSES_SPLIT3,
    NOVEL_CLASSES_SPLIT1=NOVEL_CLASSES_SPLIT1,
    NOVEL_CLASSES_SPLIT2=NOVEL_CLASSES_SPLIT2,
    NOVEL_CLASSES_SPLIT3=NOVEL_CLASSES_SPLIT3)

#: The 80 COCO classes in the canonical COCO order.
ALL_CLASSES: ClassNames = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag',
    'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
    'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon',
    'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
    'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
    'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
    'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
    'hair drier', 'toothbrush')
# The PASCAL VOC classes under their COCO names.
_COCO_VOC_CLASSES = frozenset(
    ('airplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
     'chair', 'cow', 'dining table', 'dog', 'horse', 'motorcycle', 'person',
     'potted plant', 'sheep', 'couch', 'train', 'tv'))
#: COCO: the 20 classes that are also PASCAL VOC classes.
NOVEL_CLASSES: ClassNames = tuple(c for c in ALL_CLASSES
                                  if c in _COCO_VOC_CLASSES)
#: COCO: the other 60 classes.
BASE_CLASSES: ClassNames = tuple(c for c in ALL_CLASSES
                                 if c not in _COCO_VOC_CLASSES)

#: The three COCO class lists by name (``ALL_CLASSES`` ...).
COCO_SPLIT: Dict[str, ClassNames] = dict(
    ALL_CLASSES=ALL_CLASSES,
    BASE_CLASSES=BASE_CLASSES,
    NOVEL_CLASSES=NOVEL_CLASSES)

# Official COCO category id of each class of ``ALL_CLASSES`` (same order);
# used for annotation files that carry no ``categories`` list, such as the
# published TFA few-shot split files.
_MISSING_COCO_IDS = frozenset((12, 26, 29, 30, 45, 66, 68, 69, 71, 83))
#: Official COCO category id of each class of ``ALL_CLASSES``.
COCO_CATEGORY_IDS: Dict[str, int] = dict(
    zip(ALL_CLASSES, (i for i in range(1, 91) if i not in _MISSING_COCO_IDS)))

_SPLITS_BY_DATASET: Dict[str, Dict[str, ClassNames]] = dict(
    voc=VOC_SPLIT, coco=COCO_SPLIT)
# A string shaped like a predefined split name: a typo of one is an error,
# not a class of that name.
_SPLIT_NAME_PATTERN = re.compile(r'^(ALL|BASE|NOVEL)_CLASSES', re.IGNORECASE)


def get_split_classes(name: str, dataset: Optional[str] = None) -> ClassNames:
    """Class names of a predefined split.

    Args:
        name: A split name such as ``'ALL_CLASSES_SPLIT1'`` or
            ``'NOVEL_CLASSES_SPLIT3'`` (PASCAL VOC) or ``'BASE_CLASSES'``
            (COCO).
        dataset: ``'voc'`` or ``'coco'`` to look only at that dataset's
            splits; ``None`` looks at both (their names never collide).

    Returns:
        The class names of the split, in label order.

    Raises:
        KeyError: If ``name`` is not a split of ``dataset``; the message lists
            the valid names.
    """
    if dataset is None:
        splits = {**VOC_SPLIT, **COCO_SPLIT}
    elif dataset in _SPLITS_BY_DATASET:
        splits = _SPLITS_BY_DATASET[dataset]
    else:
        raise ConfigKeyError(f'unknown dataset {dataset!r} for class splits, '
                             f'expected one of {sorted(_SPLITS_BY_DATASET)}')
    if name not in splits:
        raise ConfigKeyError(
            f'unknown class split {name!r}; valid split names '
            f'are {sorted(splits)}')
    return splits[name]


def get_novel_classes(name: str, dataset: Optional[str] = None) -> ClassNames:
    """The novel classes that belong to a predefined split.

    ``ALL_CLASSES_SPLITk`` → ``NOVEL_CLASSES_SPLITk``, ``NOVEL_…`` → all of
    its classes, ``BASE_…`` → none; likewise for the COCO split names.

    Args:
        name: A predefined split name (see :func:`get_split_classes`).
        dataset: ``'voc'``, ``'coco'`` or ``None`` as in
            :func:`get_split_classes`.

    Returns:
        The novel class names among the split's classes.
    """
    get_split_classes(name, dataset)
    if name.startswith('BASE_'):
        return tuple()
    return get_split_classes(name.replace('ALL_', 'NOVEL_', 1), dataset)


def is_split_name(classes: Any,
                  splits: Optional[Dict[str, ClassNames]] = None) -> bool:
    """Whether a ``classes`` setting is meant as a predefined split name.

    Args:
        classes: The setting.
        splits: The splits it may name; None for those of VOC and COCO.

    Returns:
        True for a split of ``splits`` and for a string shaped like a split
        name (``'ALL_CLASSES_SPLT1'``, which :func:`get_split_classes`
        refuses); False for anything else, e.g. a classes file or one class
        name.
    """
    if not isinstance(classes, str) or osp.isfile(osp.expanduser(classes)):
        return False
    if splits is None:
        splits = {**VOC_SPLIT, **COCO_SPLIT}
    return classes in splits or bool(_SPLIT_NAME_PATTERN.match(classes))


def read_dataset_classes(classes: Any,
                         key: str = 'classes',
                         owner: str = 'dataset',
                         dataset: Optional[str] = None) -> ClassNames:
    """The class names a dataset's ``classes`` setting means.

    Args:
        classes: A predefined split name, a classes file (one name a line),
            one class name or a list of names.
        key: The setting, for messages.
        owner: Who reads it, for messages.
        dataset: ``'voc'``, ``'coco'`` or None, as in
            :func:`get_split_classes`.

    Returns:
        The class names in label order.

    Raises:
        ConfigError: naming ``key`` for a value that names no classes, or an
            unknown split name.
    """
    if is_split_name(classes, _SPLITS_BY_DATASET.get(dataset)):
        return get_split_classes(classes, dataset)
    return as_class_names(classes, key, owner, allow_none=False)
