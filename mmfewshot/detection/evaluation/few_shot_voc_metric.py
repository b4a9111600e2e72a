from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmdet.evaluation import VOCMetric, eval_map
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from mmfewshot.detection.registry import METRICS
from .class_splits import (ClassSplits, ClassSplitsMixin, parse_class_splits,
                           split_membership)


def _split_mean_ap(class_results: List[dict], labels: Sequence[int]) -> float:
    """Mean AP of the classes ``labels``, as the original toolbox computes
    a split's AP: every class of the split counts, one without ground truth
    with the AP ``eval_map`` gives it (0). The all-class ``mAP`` of
    ``eval_map`` leaves such classes out instead."""
    aps = [float(class_results[label]['ap']) for label in labels]
    return float(np.mean(aps)) if aps else 0.0


@METRICS.register_module()
class FewShotVOCMetric(ClassSplitsMixin, VOCMetric):
    """PASCAL VOC mAP for all classes and for each class split.

    Runs mmdet's ``eval_map`` (legacy ``+1`` box coordinates, as the VOC
    devkit) once per IoU threshold. Besides the usual ``mAP`` and
    ``AP{iou}`` of all classes it reports ``{split}_mAP`` and
    ``{split}_AP{iou}`` for every split: the mean of the per-class APs of
    the split's classes, a class without ground truth counting as 0 (the
    original toolbox's rule; ``mAP`` and ``AP{iou}`` of all classes leave
    such classes out, as ``eval_map`` does). With the default prefix the
    logged keys read ``pascal_voc/mAP``, ``pascal_voc/AP50``,
    ``pascal_voc/NOVEL_CLASSES_SPLIT1_mAP``, ``pascal_voc/NOVEL_CLASSES_
    SPLIT1_AP50`` and so on. A per-class table (ground truths, detections,
    recall and AP per threshold, with each class's splits) and the split
    means are logged. Values are not rounded.

    Args:
        class_splits: Splits to report: a list of predefined split names,
            e.g. ``['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1']``, or a
            dict ``{name: [class names]}``. Every class of a split must be a
            class of the evaluated dataset.
        iou_thrs: IoU threshold(s); ``mAP`` averages the APs over them.
        metric: ``'mAP'`` or ``'recall'`` (recall is class-agnostic and is
            computed by mmdet's ``VOCMetric`` without splits).
        proposal_nums: Proposal numbers of the recall metric.
        eval_mode: ``'11points'`` (VOC2007) or ``'area'`` (VOC2012).
        nproc: Processes ``eval_map`` uses to match boxes.
        collect_device: ``'cpu'`` or ``'gpu'``, where results of all ranks
            are gathered.
        prefix: Prefix of the metric names; defaults to ``pascal_voc``.
    """

    def __init__(self,
                 class_splits: ClassSplits = None,
                 iou_thrs: Union[float, List[float]] = 0.5,
                 metric: Union[str, List[str]] = 'mAP',
                 proposal_nums: Sequence[int] = (100, 300, 1000),
                 eval_mode: str = '11points',
                 nproc: int = 4,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            iou_thrs=iou_thrs,
            metric=metric,
            proposal_nums=proposal_nums,
            eval_mode=eval_mode,
            collect_device=collect_device,
            prefix=prefix)
        self.class_splits = parse_class_splits(class_splits,
                                               type(self).__name__)
        self.nproc = nproc

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute mAP of all classes and of every class split.

        Args:
            results: ``(annotation, detections)`` pairs of all images, as
                collected by ``process``.

        Returns:
            Metric name -> value.
        """
        if self.metric != 'mAP':
            return super().compute_metrics(results)
        classes = list(self.dataset_meta['classes'])
        # metric-name prefix -> labels: '' for all classes, then the splits
        groups: Dict[str, List[int]] = OrderedDict([
            ('', list(range(len(classes))))
        ])
        groups.update(
            (f'{name}_', labels) for name, labels in self.split_labels.items())
        gts, preds = zip(*results)
        ap_keys = [f'AP{int(thr * 100):02d}' for thr in self.iou_thrs]
        group_aps: Dict[str, List[float]] = {name: [] for name in groups}
        per_threshold = []
        for iou_thr in self.iou_thrs:
            mean_ap, class_results = eval_map(
                preds,
                gts,
                iou_thr=iou_thr,
                dataset=classes,
                logger='silent',
                nproc=self.nproc,
                use_legacy_coordinate=True,
                eval_mode=self.eval_mode)
            per_threshold.append(class_results)
            group_aps[''].append(float(mean_ap))
            for name, labels in groups.items():
                if name:
                    group_aps[name].append(
                        _split_mean_ap(class_results, labels))
        eval_results: Dict[str, float] = OrderedDict()
        for group, aps in group_aps.items():
            eval_results[f'{group}mAP'] = float(np.mean(aps))
            for ap_key, ap in zip(ap_keys, aps):
                eval_results[f'{group}{ap_key}'] = ap
        self._log_tables(classes, groups, per_threshold, ap_keys, group_aps)
        return eval_results

    def _log_tables(self, classes: List[str], groups: Dict[str, List[int]],
                    per_threshold: List[List[dict]], ap_keys: List[str],
                    group_aps: Dict[str, List[float]]) -> None:
        """Log per-class recall / AP and the mean AP of every split."""
        header = ['class', 'split', 'gts', 'dets']
        for key in ap_keys:
            header += [f'recall@{key[2:]}', key]
        rows = [header]
        membership = split_membership(
            {
                group[:-1]: labels
                for group, labels in groups.items() if group
            }, len(classes))
        for label, name in enumerate(classes):
            first = per_threshold[0][label]
            row = [
                name, membership[label], first['num_gts'], first['num_dets']
            ]
            for class_results in per_threshold:
                recall = class_results[label]['recall']
                row += [
                    f'{recall[-1] if recall.size else 0.0:.4f}',
                    f'{float(class_results[label]["ap"]):.4f}'
                ]
            rows.append(row)
        summary = [['classes'] + ap_keys + ['mAP']]
        for group, aps in group_aps.items():
            summary.append([group[:-1] or 'ALL'] + [f'{ap:.4f}'
                                                    for ap in aps] +
                           [f'{np.mean(aps):.4f}'])
        MMLogger.get_current_instance().info(
            f'{self.eval_mode} AP per class:\n{AsciiTable(rows).table}\n'
            f'mean AP per class split:\n{AsciiTable(summary).table}')
