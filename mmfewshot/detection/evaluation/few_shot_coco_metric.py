import contextlib
import copy
import io
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmdet.datasets.api_wrappers import COCO, COCOeval, COCOevalMP
from mmdet.evaluation import CocoMetric
from mmengine.fileio import load
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from mmfewshot.detection.registry import METRICS
from mmfewshot.utils.errors import ConfigError, ConfigKeyError, DataError
from .class_splits import (ClassSplits, ClassSplitsMixin, parse_class_splits,
                           split_membership)

_AREAS = ('s', 'm', 'l')


def _summarize(coco_eval: COCOeval,
               columns: Optional[Sequence[int]] = None) -> tuple:
    """COCO summary statistics of all categories or of some only.

    COCOeval computes every category independently, so slicing the
    accumulated precision / recall to some categories and summarising gives
    exactly what a COCOeval run with ``params.catIds`` restricted to them
    gives, without evaluating the images again.

    Args:
        coco_eval: An evaluated and accumulated COCOeval.
        columns: Positions in ``coco_eval.params.catIds`` (the category
            axis of its results) of the categories to summarise; ``None``
            summarises all.

    Returns:
        ``(stats, text)``: the 12 summary numbers and pycocotools' printout.
    """
    evaluator = copy.copy(coco_eval)
    if columns is not None:
        columns = list(columns)
        evaluator.params = copy.deepcopy(coco_eval.params)
        evaluator.params.catIds = [
            coco_eval.params.catIds[column] for column in columns
        ]
        evaluator.eval = dict(
            coco_eval.eval,
            precision=coco_eval.eval['precision'][:, :, columns],
            recall=coco_eval.eval['recall'][:, columns])
    with contextlib.redirect_stdout(io.StringIO()) as printout:
        evaluator.summarize()
    return evaluator.stats, printout.getvalue()


def _mean_precision(precision: np.ndarray) -> float:
    valid = precision[precision > -1]
    return float(np.mean(valid)) if valid.size else float('nan')


@METRICS.register_module()
class FewShotCocoMetric(ClassSplitsMixin, CocoMetric):
    """COCO box / mask AP for all classes and for each class split.

    Evaluates with pycocotools' COCOeval like mmdet's ``CocoMetric`` (same
    ground-truth conversion and result files) and reports, unrounded,
    ``{metric}_{item}`` for all classes and ``{split}_{metric}_{item}`` for
    every split, e.g. ``coco/bbox_mAP``, ``coco/bbox_mAP_50``,
    ``coco/NOVEL_CLASSES_bbox_mAP_50``. A split's numbers equal those of
    COCOeval with ``params.catIds`` restricted to the split's categories.
    A per-class table (AP, AP50, AP75, AP by area, with each class's
    splits) is logged.

    Label ``i`` of a prediction is the dataset class
    ``dataset_meta['classes'][i]``; it is matched to the annotation file's
    category of the same name, whatever the order of the classes and the
    ids of the categories. Per-class and per-split numbers are read from
    COCOeval's results by category id (COCOeval orders its category axis
    by id, not by label).

    Args:
        class_splits: Splits to report: a list of predefined split names,
            e.g. ``['BASE_CLASSES', 'NOVEL_CLASSES']``, or a dict
            ``{name: [class names]}``. Every class of a split must be a class
            of the evaluated dataset.
        ann_file: COCO annotation file of the evaluated images; ``None``
            converts the ground truth of the data samples.
        metric: ``'bbox'``, ``'segm'`` or a list of them.
        classwise: Also return ``{class}_precision`` (mAP per class).
        proposal_nums: The three ``maxDets`` of COCOeval.
        iou_thrs: IoU thresholds; ``None`` is 0.50:0.05:0.95.
        metric_items: Items to return, from ``mAP``, ``mAP_50``,
            ``mAP_75``, ``mAP_s``, ``mAP_m``, ``mAP_l``, ``AR@{n}`` for each
            ``n`` of ``proposal_nums`` and ``AR_{s,m,l}@{proposal_nums[2]}``.
            ``None`` returns the six mAP items.
        format_only: Only write the result files, do not evaluate.
        outfile_prefix: Prefix of the result files; a temporary directory
            when ``None``.
        backend_args: Backend arguments used to read ``ann_file``.
        collect_device: ``'cpu'`` or ``'gpu'``, where results of all ranks
            are gathered.
        prefix: Prefix of the metric names; defaults to ``coco``.
        sort_categories: Sort the categories of ``ann_file`` by id.
        use_mp_eval: Evaluate with mmdet's multi-process COCOeval.
    """

    def __init__(self,
                 class_splits: ClassSplits = None,
                 ann_file: Optional[str] = None,
                 metric: Union[str, List[str]] = 'bbox',
                 classwise: bool = False,
                 proposal_nums: Sequence[int] = (100, 300, 1000),
                 iou_thrs: Optional[Union[float, Sequence[float]]] = None,
                 metric_items: Optional[Sequence[str]] = None,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 sort_categories: bool = False,
                 use_mp_eval: bool = False) -> None:
        super().__init__(
            ann_file=ann_file,
            metric=metric,
            classwise=classwise,
            proposal_nums=proposal_nums,
            iou_thrs=iou_thrs,
            metric_items=metric_items,
            format_only=format_only,
            outfile_prefix=outfile_prefix,
            backend_args=backend_args,
            collect_device=collect_device,
            prefix=prefix,
            sort_categories=sort_categories,
            use_mp_eval=use_mp_eval)
        self.iou_thrs = np.atleast_1d(np.asarray(self.iou_thrs, dtype=float))
        name = type(self).__name__
        for item in self.metrics:
            if item not in ('bbox', 'segm'):
                raise ConfigError(
                    f"{name} evaluates 'bbox' and 'segm', got metric "
                    f"{item!r}; use mmdet's CocoMetric for proposals")
        if len(self.proposal_nums) != 3:
            raise ConfigError(f'{name}: proposal_nums must hold the three '
                              f'maxDets of COCOeval, got {proposal_nums}')
        self.item_index = self._summary_items()
        for item in metric_items or ():
            if item not in self.item_index:
                raise ConfigKeyError(
                    f'{name}: unknown metric item {item!r}, '
                    f'expected one of {list(self.item_index)}')
        self.class_splits = parse_class_splits(class_splits, name)

    def _summary_items(self) -> Dict[str, int]:
        """Item name -> index in COCOeval's ``stats``."""
        names = ['mAP', 'mAP_50', 'mAP_75'] + [f'mAP_{a}' for a in _AREAS]
        names += [f'AR@{num}' for num in self.proposal_nums]
        names += [f'AR_{a}@{self.proposal_nums[-1]}' for a in _AREAS]
        return {name: index for index, name in enumerate(names)}

    def _category_ids(self, classes: List[str]) -> List[int]:
        """The annotation file's category id of every dataset class."""
        id_of = {
            category['name']: category['id']
            for category in self._coco_api.dataset.get('categories', [])
        }
        missing = [name for name in classes if name not in id_of]
        if missing:
            raise ConfigKeyError(
                f'classes {missing} of the dataset are not categories of '
                f'the COCO annotations ({sorted(id_of)})')
        names = [
            category['name']
            for category in self._coco_api.dataset.get('categories', [])
        ]
        repeated = sorted({name for name in classes if names.count(name) > 1})
        if repeated:
            raise DataError(f'the COCO annotations name categories '
                            f'{repeated} more than once; a class must be '
                            'one category')
        return [id_of[name] for name in classes]

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute COCO AP of all classes and of every class split.

        Args:
            results: ``(ground truth, prediction)`` pairs of all images, as
                collected by ``process``.

        Returns:
            Metric name -> value.
        """
        logger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        classes = list(self.dataset_meta['classes'])
        splits = self.split_labels
        eval_results: Dict[str, float] = OrderedDict()
        with tempfile.TemporaryDirectory() as tmp_dir:
            outfile_prefix = self.outfile_prefix or osp.join(
                tmp_dir, 'results')
            if self._coco_api is None:
                logger.info('Converting ground truth to coco format...')
                self._coco_api = COCO(
                    self.gt_to_coco_json(
                        gt_dicts=gts, outfile_prefix=outfile_prefix))
            if self.cat_ids is None:
                self.cat_ids = self._category_ids(classes)
            if self.img_ids is None:
                self.img_ids = self._coco_api.get_img_ids()
            result_files = self.results2json(preds, outfile_prefix)
            if self.format_only:
                logger.info(
                    f'results are saved in {osp.dirname(outfile_prefix)}')
                return eval_results
            for metric in self.metrics:
                predictions = load(result_files[metric])
                if not predictions:
                    logger.error(f'no {metric} predictions for the whole '
                                 'dataset, nothing to evaluate')
                    continue
                eval_results.update(
                    self._evaluate(metric, predictions, classes, splits,
                                   logger))
        return eval_results

    def _evaluate(self, metric: str, predictions: List[dict],
                  classes: List[str], splits: Dict[str, List[int]],
                  logger: MMLogger) -> Dict[str, float]:
        """Run COCOeval once and summarise it for all classes and splits."""
        if metric == 'segm':
            # Without boxes pycocotools takes the instance area from the
            # masks, which is what the area ranges of mask AP should use.
            for prediction in predictions:
                prediction.pop('bbox')
        evaluator_type = COCOevalMP if self.use_mp_eval else COCOeval
        coco_eval = evaluator_type(self._coco_api,
                                   self._coco_api.loadRes(predictions), metric)
        coco_eval.params.catIds = self.cat_ids
        coco_eval.params.imgIds = self.img_ids
        coco_eval.params.maxDets = list(self.proposal_nums)
        coco_eval.params.iouThrs = self.iou_thrs
        logger.info(f'Evaluating {metric}...')
        with contextlib.redirect_stdout(io.StringIO()) as printout:
            coco_eval.evaluate()
            coco_eval.accumulate()
        logger.info(printout.getvalue())
        # COCOeval sorts params.catIds; its results follow that order
        column_of = {
            cat_id: column
            for column, cat_id in enumerate(coco_eval.params.catIds)
        }
        label_columns = [column_of[cat_id] for cat_id in self.cat_ids]
        items = self.metric_items or list(self.item_index)[:6]
        results: Dict[str, float] = OrderedDict()
        groups = [('', None)
                  ] + [(f'{name}_', [label_columns[label] for label in labels])
                       for name, labels in splits.items()]
        for group, columns in groups:
            stats, text = _summarize(coco_eval, columns)
            logger.info(f'{group or "ALL_"}CLASSES {metric}:\n{text}')
            for item in items:
                results[f'{group}{metric}_{item}'] = float(
                    stats[self.item_index[item]])
        per_class = self._per_class_table(coco_eval, label_columns, classes,
                                          splits, metric, logger)
        if self.classwise:
            for name, class_ap in zip(classes, per_class):
                results[f'{name}_precision'] = class_ap
        return results

    def _per_class_table(self, coco_eval: COCOeval, label_columns: List[int],
                         classes: List[str], splits: Dict[str, List[int]],
                         metric: str, logger: MMLogger) -> List[float]:
        """Log AP per class (largest ``maxDets``); return each class' mAP.

        ``label_columns[label]`` is the position of the class's category on
        the category axis of COCOeval's results.
        """
        # precision: (iou, recall, class, area range, max dets)
        precisions = coco_eval.eval['precision']
        iou_thrs = list(np.round(coco_eval.params.iouThrs, 2))
        named_ious = [(f'AP{int(iou * 100)}', iou_thrs.index(iou))
                      for iou in (0.5, 0.75) if iou in iou_thrs]
        header = ['class', 'split', 'AP'] + [name for name, _ in named_ious]
        header += [f'AP_{area}' for area in _AREAS]
        membership = split_membership(splits, len(classes))
        rows = [header]
        class_aps = []
        for label, name in enumerate(classes):
            column = label_columns[label]
            class_ap = _mean_precision(precisions[:, :, column, 0, -1])
            class_aps.append(class_ap)
            values = [class_ap] + [
                _mean_precision(precisions[index, :, column, 0, -1])
                for _, index in named_ious
            ] + [
                _mean_precision(precisions[:, :, column, area, -1])
                for area in range(1,
                                  len(_AREAS) + 1)
            ]
            rows.append([name, membership[label]] +
                        [f'{value:.4f}' for value in values])
        logger.info(f'{metric} AP per class:\n{AsciiTable(rows).table}')
        return class_aps
