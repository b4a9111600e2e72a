"""Class splits (e.g. base / novel) reported next to the all-class metrics.
"""
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Union

from mmfewshot.detection.datasets.class_splits import get_split_classes
from mmfewshot.utils.errors import ConfigKeyError, ConfigTypeError

ClassSplits = Union[None, Sequence[str], Mapping[str, Sequence[str]]]


def parse_class_splits(class_splits: ClassSplits,
                       owner: str) -> 'OrderedDict[str, Optional[List[str]]]':
    """Normalise the ``class_splits`` argument of a few-shot metric.

    Args:
        class_splits: ``None`` (no split), a list of predefined split names
            such as ``['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1']``
            (see ``mmfewshot.detection.datasets.get_split_classes``), or a
            dict mapping a split name of your choice to its class names.
        owner: The metric's name, used in error messages.

    Returns:
        Split name -> class names, or ``None`` for a predefined split whose
        classes are looked up by name.
    """
    if class_splits is None:
        return OrderedDict()
    if isinstance(class_splits, str):
        raise ConfigTypeError(
            f'{owner}: class_splits must be a list of split names or a dict '
            f'of name -> classes, got the string {class_splits!r}; write '
            f'[{class_splits!r}]')
    if isinstance(class_splits, Mapping):
        parsed: 'OrderedDict[str, Optional[List[str]]]' = OrderedDict()
        for name, classes in class_splits.items():
            if isinstance(classes, str):
                raise ConfigTypeError(
                    f'{owner}: class_splits[{name!r}] must be a list of '
                    f'class names, got the string {classes!r}')
            parsed[str(name)] = list(classes)
        return parsed
    for name in class_splits:
        get_split_classes(name)
    return OrderedDict((name, None) for name in class_splits)


def resolve_class_splits(
        class_splits: 'OrderedDict[str, Optional[List[str]]]',
        classes: Sequence[str]) -> 'OrderedDict[str, List[int]]':
    """Map every split to the label indices of its classes.

    Args:
        class_splits: The output of :func:`parse_class_splits`.
        classes: The evaluated dataset's classes (``dataset_meta``), in
            label order.

    Returns:
        Split name -> sorted label indices of the split's classes.

    Raises:
        ConfigKeyError: A class of a split is not a class of the dataset.
    """
    label_of = {name: label for label, name in enumerate(classes)}
    resolved: 'OrderedDict[str, List[int]]' = OrderedDict()
    for name, split_classes in class_splits.items():
        if split_classes is None:
            split_classes = list(get_split_classes(name))
        missing = [c for c in split_classes if c not in label_of]
        if missing:
            raise ConfigKeyError(
                f'classes {missing} of class split {name!r} are not classes '
                f'of the evaluated dataset {list(classes)}')
        resolved[name] = sorted(label_of[c] for c in split_classes)
    return resolved


def split_membership(splits: Mapping[str, Sequence[int]],
                     num_classes: int) -> List[str]:
    """For every label, the names of the splits it belongs to (a table
    column)."""
    members: Dict[int, List[str]] = {label: [] for label in range(num_classes)}
    for name, labels in splits.items():
        for label in labels:
            members[label].append(name)
    return [', '.join(members[label]) for label in range(num_classes)]


class ClassSplitsMixin:
    """Resolves a metric's class splits when its ``dataset_meta`` is set.

    mmengine's loops hand the evaluated dataset's meta information to the
    metrics when they are built, so a split naming a class the dataset lacks
    fails before the first evaluation instead of after it. The metric sets
    ``class_splits`` (the output of :func:`parse_class_splits`) in its
    ``__init__``; ``split_labels`` then holds split name -> labels.
    """

    class_splits: 'OrderedDict[str, Optional[List[str]]]'
    split_labels: 'OrderedDict[str, List[int]]'
    _dataset_meta: Optional[dict]

    @property
    def dataset_meta(self) -> Optional[dict]:
        """Meta information of the evaluated dataset."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self.split_labels = resolve_class_splits(self.class_splits,
                                                 dataset_meta['classes'])
        self._dataset_meta = dataset_meta
