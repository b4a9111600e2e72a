"""Tables of detection metrics by class split."""
from collections import OrderedDict
from typing import Dict, List, Mapping, Sequence, Tuple

from terminaltables import AsciiTable

ALL = 'ALL'


def metrics_by_split(
        metrics: Mapping[str, float],
        split_names: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """Group metrics by class split.

    The few-shot metrics name a split's value ``<prefix>/<split>_<name>``
    next to the all-class ``<prefix>/<name>`` (``pascal_voc/AP50`` and
    ``pascal_voc/NOVEL_CLASSES_SPLIT1_AP50``; ``coco/bbox_mAP`` and
    ``coco/BASE_CLASSES_bbox_mAP``).

    Args:
        metrics: Metric name -> value, as a test or validation run returns.
        split_names: The evaluated splits.

    Returns:
        ``{ALL: {name: value}, <split>: {name: value}, ...}``, ``ALL`` first
        and then the splits in the given order; per-class precisions
        (``*_precision``) are left out.
    """
    by_group: Dict[str, Dict[str, float]] = OrderedDict(
        (group, OrderedDict()) for group in [ALL, *split_names])
    for key, value in metrics.items():
        name = key.rpartition('/')[2]
        if name.endswith('_precision'):
            continue
        # the longest name first: a split may start with another's name
        for split in sorted(split_names, key=len, reverse=True):
            if name.startswith(f'{split}_'):
                by_group[split][name[len(split) + 1:]] = value
                break
        else:
            by_group[ALL][name] = value
    return by_group


def split_metric_table(metrics: Mapping[str, float],
                       split_names: Sequence[str]) -> List[List[str]]:
    """Arrange metrics of all classes and of each class split in rows
    (grouped by :func:`metrics_by_split`).

    Args:
        metrics: Metric name -> value, as a test or validation run returns.
        split_names: The evaluated splits, in row order.

    Returns:
        Rows ``[header, ALL row, one row per split]``; the header names the
        metrics (``mAP``, ``AP50`` ...) that the ALL row and every split
        share, values are percentages with one decimal.
    """
    by_group = metrics_by_split(metrics, split_names)
    columns = [
        name for name in by_group[ALL]
        if all(name in values for values in by_group.values())
    ]
    rows = [['classes', *columns]]
    for group, values in by_group.items():
        rows.append([group] + [f'{100 * values[c]:.1f}' for c in columns])
    return rows


def format_split_table(metrics: Mapping[str, float],
                       split_names: Sequence[str]) -> str:
    """:func:`split_metric_table` as a text table (values in percent)."""
    return AsciiTable(split_metric_table(metrics, split_names)).table


def evaluated_splits(evaluator_cfg) -> Tuple[str, ...]:
    """The class split names of an evaluator config (or list of them).

    Args:
        evaluator_cfg: ``test_evaluator`` / ``val_evaluator`` of a config:
            a metric dict, a list of them, or ``dict(metrics=[...])``.

    Returns:
        The names of their ``class_splits`` (list entries or dict keys), in
        order, without repeats.
    """
    if isinstance(evaluator_cfg, dict) and 'metrics' in evaluator_cfg:
        evaluator_cfg = evaluator_cfg['metrics']
    if isinstance(evaluator_cfg, dict):
        evaluator_cfg = [evaluator_cfg]
    names: List[str] = []
    for metric in evaluator_cfg or []:
        splits = metric.get('class_splits') if isinstance(metric,
                                                          dict) else None
        for name in (list(splits) if splits else []):
            if name not in names:
                names.append(name)
    return tuple(names)
