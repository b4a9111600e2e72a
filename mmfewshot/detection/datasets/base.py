"""The common part of the few-shot detection datasets.

A few-shot dataset is loaded from an ``ann_cfg`` list, then filtered for a
few-shot setting, in this order:

1. every entry of ``ann_cfg`` is loaded and the entries are concatenated;
   entries of type ``ann_file`` that name the same image are merged into one
   item (identical instances are kept once), so an image listed in the split
   files of two classes carries the boxes of both;
2. shot caps (``num_novel_shots`` / ``num_base_shots`` or
   ``ann_shot_filter``) keep at most that many instances of a class;
3. ``min_bbox_area`` drops images having a target box of a smaller area and
   ``filter_empty_gt`` drops items without a target instance (training only);
4. ``instance_wise`` splits every item into one item per target instance;
5. ``save_dataset`` writes the resulting list to ``save_dataset_path``.

The annotation format of the items is described in
:mod:`mmfewshot.detection.datasets.utils`.
"""
import copy
import json
import logging
import math
import os.path as osp
import re
from abc import ABCMeta, abstractmethod
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmdet.datasets import BaseDetDataset
from mmengine.dataset import Compose
from mmengine.dist import is_main_process
from mmengine.fileio import join_path
from mmengine.logging import print_log
from mmengine.utils import is_abs

from mmfewshot.detection.registry import TRANSFORMS
from mmfewshot.utils.atomic import atomic_write
from mmfewshot.utils.class_names import as_class_names
from mmfewshot.utils.errors import (ConfigError, ConfigKeyError, DataError,
                                    raise_for_unreadable_image)
from .class_splits import get_novel_classes, get_split_classes, is_split_name
from .utils import count_instances, valid_instances

Transforms = List[Union[dict, Callable]]
# (class name, [x1, y1, x2, y2], ignore) of one box as read from a file.
RawBox = Tuple[str, List[float], bool]

BENCHMARK_METHODS = ('TFA', 'FSCE', 'Attention_RPN', 'MPSR', 'MetaRCNN',
                     'FSDetView')
_SETTING_PATTERN = re.compile(r'^(?:SPLIT(\d+)_)?(\d+)SHOT$')


def _name_key(name: str) -> str:
    """A class name without case and spaces, to spot near misses."""
    return ''.join(name.split()).lower()


class LeftOutBoxes:
    """The boxes that reading one annotation file left out, for
    :meth:`BaseFewShotDataset.report_left_out`.

    Attributes:
        zero_area: A description of every box with no area inside its
            image.
        other_classes: Class name -> number of boxes of a class that is not
            a dataset class.
    """

    def __init__(self) -> None:
        self.zero_area: List[str] = []
        self.other_classes: Counter = Counter()


class BaseFewShotDataset(BaseDetDataset, metaclass=ABCMeta):
    """Base class of the few-shot detection datasets.

    Subclasses read one annotation format (:meth:`load_ann_file`) and are
    registered; this class is not, as it reads none.

    Args:
        ann_cfg: Where the annotations come from, a list of dicts:

            - ``dict(type='ann_file', ann_file=..., ann_classes=None,
              img_prefix=None)``: an annotation file of the dataset's format.
              A relative ``ann_file`` is joined with ``data_root``.
              ``ann_classes`` keeps only those classes' boxes of this file.
              ``img_prefix`` (or ``data_prefix=dict(<key>=...)``, the key
              being ``PREFIX_KEY`` of the subclass) overrides the dataset's
              ``data_prefix`` for this file.
            - ``dict(type='saved_dataset', ann_file=...)``: a list written
              by ``save_dataset=True``; loads the identical items (labels are
              matched by class name).
            - ``dict(type='data_list', data_list=[...], classes=None)``:
              items already in this format (used by the copy datasets); with
              ``classes`` (the class names the items' labels index, e.g.
              another dataset's ``metainfo['classes']``) labels are matched
              by class name, without it they must be labels of this
              dataset's ``classes``.
        classes: A predefined split name (e.g. ``'ALL_CLASSES_SPLIT1'``) or
            a sequence of class names. Falls back to ``metainfo['classes']``.
        novel_classes: Which of ``classes`` are novel. Defaults to the novel
            classes of the split when ``classes`` is a split name, else none.
        pipeline: Transforms applied by ``dataset[i]``.
        multi_pipelines: Named transform lists, e.g.
            ``dict(query=[...], support=[...])``, applied by
            ``prepare_data(i, pipeline_key)``. Exclusive with ``pipeline``.
        num_novel_shots: Keep at most this many instances of every novel
            class (training only, as every filter below: a ``test_mode``
            dataset says that it does not apply them).
        num_base_shots: Keep at most this many instances of every base class.
        ann_shot_filter: ``{class name: max instances}``; exclusive with
            ``num_novel_shots`` / ``num_base_shots``. Kept instances are the
            first ones in item order (``ann_cfg`` order, then file order,
            then box order within an image); instances with ``ignore_flag``
            1 do not count and stay with their image. An image that loses
            all its target instances to a cap is dropped.
        instance_wise: Make one item per target instance (ignored instances
            are dropped); an image with three boxes becomes three items.
        min_bbox_size: In training, a box whose width or height is
            smaller is kept with ``ignore_flag=1`` (not a target, not a
            shot), as the original toolbox does. Not applied in
            ``test_mode`` (a warning says so): evaluation always sees all
            of the ground truth.
        min_bbox_area: Drop every image that has a target box with a
            smaller area (width x height), before the shot caps (not in
            ``test_mode``, a warning says so); Attention-RPN's base
            training uses ``32 * 32``.
        filter_empty_gt: Drop items without a target instance (not in
            ``test_mode``).
        save_dataset: Write the final items as json to
            ``save_dataset_path`` (main process only) so that a run can be
            reproduced exactly through a ``saved_dataset`` entry.
        save_dataset_path: The json file ``save_dataset`` writes; required
            when ``save_dataset`` is True (the training tool fills it in
            from the work dir).
        dataset_name: A name for log messages; defaults to the class name.
        **kwargs: Arguments of mmdet's ``BaseDetDataset`` / mmengine's
            ``BaseDataset`` (``data_root``, ``data_prefix``, ``test_mode``,
            ``serialize_data``, ``lazy_init``, ``indices``, ``metainfo`` ...).
            mmdet's ``filter_cfg`` is not accepted: use ``filter_empty_gt``
            and ``min_bbox_size``.
    """

    # Predefined class splits of the dataset (name -> class names), and the
    # name get_split_classes knows them by.
    SPLITS: Dict[str, Tuple[str, ...]] = {}
    SPLIT_DATASET: Optional[str] = None
    # Key of ``data_prefix`` that an ann_file entry's ``img_prefix`` sets.
    PREFIX_KEY = 'img'
    ANN_CFG_TYPES = ('ann_file', 'saved_dataset', 'data_list')

    def __init__(self,
                 ann_cfg: List[dict],
                 classes: Optional[Union[str, Sequence[str]]] = None,
                 novel_classes: Optional[Sequence[str]] = None,
                 pipeline: Optional[Transforms] = None,
                 multi_pipelines: Optional[Dict[str, Transforms]] = None,
                 num_novel_shots: Optional[int] = None,
                 num_base_shots: Optional[int] = None,
                 ann_shot_filter: Optional[Dict[str, int]] = None,
                 instance_wise: bool = False,
                 min_bbox_size: Optional[float] = None,
                 min_bbox_area: Optional[float] = None,
                 filter_empty_gt: bool = True,
                 save_dataset: bool = False,
                 save_dataset_path: Optional[str] = None,
                 dataset_name: Optional[str] = None,
                 **kwargs) -> None:
        if kwargs.get('filter_cfg') is not None:
            raise ConfigError(
                f'{type(self).__name__} does not take `filter_cfg`; use '
                '`filter_empty_gt` and `min_bbox_size`')
        if pipeline is not None and multi_pipelines is not None:
            raise ConfigError('give either `pipeline` or `multi_pipelines`, '
                              'not both')
        if save_dataset and not save_dataset_path:
            raise ConfigError('`save_dataset=True` needs `save_dataset_path`, '
                              'the json file to write')
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if classes is None:
            classes = metainfo.get('classes')
        # The predefined split the classes come from, if any.
        self.class_split_name = classes if self._names_split(classes) else None
        all_classes, novel = self._resolve_classes(classes, novel_classes)
        metainfo.update(
            classes=all_classes,
            novel_classes=novel,
            base_classes=tuple(c for c in all_classes if c not in novel))
        self.ann_shot_filter = self._build_shot_filter(metainfo,
                                                       num_novel_shots,
                                                       num_base_shots,
                                                       ann_shot_filter)
        self.instance_wise = instance_wise
        self.min_bbox_size = min_bbox_size
        self.min_bbox_area = min_bbox_area
        self.dataset_name = dataset_name or type(self).__name__
        if kwargs.get('test_mode', False):
            self._warn_training_filters(
                min_bbox_size=min_bbox_size,
                min_bbox_area=min_bbox_area,
                num_novel_shots=num_novel_shots,
                num_base_shots=num_base_shots,
                ann_shot_filter=ann_shot_filter,
                instance_wise=instance_wise or None)
        self.filter_empty_gt = filter_empty_gt
        self.save_dataset = save_dataset
        self.save_dataset_path = save_dataset_path
        self.multi_pipelines = {
            key: build_pipeline(transforms)
            for key, transforms in (multi_pipelines or {}).items()
        }
        self.ann_cfg = self._check_ann_cfg(
            self._expand_ann_cfg(copy.deepcopy(list(ann_cfg)), metainfo),
            all_classes)
        super().__init__(
            metainfo=metainfo,
            pipeline=build_pipeline(pipeline or []).transforms,
            **kwargs)

    # ------------------------------------------------------------------
    # configuration
    # ------------------------------------------------------------------
    def _warn_training_filters(self, **settings: Any) -> None:
        """Say that the training-only filters among ``settings`` (those
        not None) do not apply to this test-mode dataset."""
        given = [
            f'{key}={value}' for key, value in settings.items()
            if value is not None
        ]
        if given:
            print_log(
                f'{self.dataset_name}: {", ".join(given)}: not applied in '
                'test_mode, the ground truth of evaluation is never '
                'filtered or split (these settings act in training only, as '
                'in the original toolbox)',
                logger='current',
                level=logging.WARNING)

    def _names_split(self, classes: Any) -> bool:
        """Whether ``classes`` is meant as a predefined split name (see
        :func:`~.class_splits.is_split_name`)."""
        return is_split_name(classes, self.SPLITS)

    def _resolve_classes(
        self, classes: Optional[Union[str, Sequence[str]]],
        novel_classes: Optional[Union[str, Sequence[str]]]
    ) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        owner = type(self).__name__
        if classes is None:
            raise ConfigError(
                f'{owner} needs `classes`: a split name '
                f'({", ".join(sorted(self.SPLITS))}), a list of names or a '
                'classes file')
        if self._names_split(classes):
            all_classes = get_split_classes(classes, self.SPLIT_DATASET)
            default_novel = get_novel_classes(classes, self.SPLIT_DATASET)
        else:
            all_classes = as_class_names(classes, 'classes', owner)
            default_novel = tuple()
        duplicates = [c for c, n in Counter(all_classes).items() if n > 1]
        if duplicates:
            raise ConfigError(f'`classes` names {duplicates} more than once')
        novel_classes = as_class_names(novel_classes, 'novel_classes', owner)
        if novel_classes is None:
            return all_classes, default_novel
        unknown = [c for c in novel_classes if c not in all_classes]
        if unknown:
            raise ConfigError(f'`novel_classes` {unknown} are not in '
                              f'`classes` {list(all_classes)}')
        return all_classes, tuple(c for c in all_classes if c in novel_classes)

    @staticmethod
    def _build_shot_filter(
            metainfo: dict, num_novel_shots: Optional[int],
            num_base_shots: Optional[int],
            ann_shot_filter: Optional[Dict[str, int]]) -> Dict[str, int]:
        """``{class name: max instances}`` from the shot arguments."""
        if ann_shot_filter is not None:
            if num_novel_shots is not None or num_base_shots is not None:
                raise ConfigError(
                    'give either `ann_shot_filter` or `num_novel_shots` / '
                    '`num_base_shots`, not both')
            if not isinstance(ann_shot_filter, dict):
                raise ConfigError(
                    '`ann_shot_filter` must be a dict {class name: max '
                    f'instances}}, got {ann_shot_filter!r}')
            unknown = [
                c for c in ann_shot_filter if c not in metainfo['classes']
            ]
            if unknown:
                raise ConfigError(f'`ann_shot_filter` names classes {unknown} '
                                  f'that are not in `classes`')
            shot_filter = dict(ann_shot_filter)
        else:
            shot_filter = {}
            for role, num_shots in (('novel', num_novel_shots),
                                    ('base', num_base_shots)):
                if num_shots is None:
                    continue
                role_classes = metainfo[f'{role}_classes']
                if not role_classes:
                    raise ConfigError(
                        f'`num_{role}_shots` is set but the dataset has no '
                        f'{role} classes; name a predefined split in '
                        '`classes`, set `novel_classes`, or use '
                        '`ann_shot_filter`')
                shot_filter.update({c: num_shots for c in role_classes})
        for class_name, num_shots in shot_filter.items():
            if not isinstance(num_shots, int) or isinstance(
                    num_shots, bool) or num_shots < 0:
                raise ConfigError(f'the shot cap of class {class_name!r} must '
                                  f'be a non-negative int, got {num_shots!r}')
        return shot_filter

    def _expand_ann_cfg(self, ann_cfg: List[dict],
                        metainfo: dict) -> List[dict]:
        """Turn the user's ``ann_cfg`` into entries with a ``type``.

        Subclasses with their own ``ann_cfg`` syntax (benchmark settings,
        copied data lists) override this; ``metainfo`` holds the resolved
        ``classes``, ``base_classes`` and ``novel_classes``.
        """
        return ann_cfg

    def _check_ann_cfg(self, ann_cfg: List[dict],
                       classes: Tuple[str, ...]) -> List[dict]:
        if not ann_cfg:
            raise ConfigError('`ann_cfg` is empty')
        for index, entry in enumerate(ann_cfg):
            entry_type = entry.get('type')
            if entry_type not in self.ANN_CFG_TYPES:
                raise ConfigError(
                    f'ann_cfg[{index}] has type {entry_type!r}; expected one '
                    f'of {list(self.ANN_CFG_TYPES)}')
            if entry_type == 'data_list':
                if not isinstance(entry.get('data_list'), (list, tuple)):
                    raise ConfigError(
                        f'ann_cfg[{index}] of type data_list needs a list '
                        'under `data_list`')
                entry['classes'] = as_class_names(
                    entry.get('classes'), f'ann_cfg[{index}].classes',
                    self.dataset_name)
                continue
            if not entry.get('ann_file'):
                raise ConfigError(f'ann_cfg[{index}] has no `ann_file`')
            entry['ann_classes'] = as_class_names(
                entry.get('ann_classes'), f'ann_cfg[{index}].ann_classes',
                self.dataset_name)
            unknown = [
                c for c in entry['ann_classes'] or [] if c not in classes
            ]
            if unknown:
                raise ConfigError(
                    f'ann_cfg[{index}] ({entry["ann_file"]}): ann_classes '
                    f'{unknown} are not in the dataset classes '
                    f'{list(classes)}')
        return ann_cfg

    # ------------------------------------------------------------------
    # loading
    # ------------------------------------------------------------------
    def full_init(self) -> None:
        """Load, filter and (optionally) save the items; see the module
        docstring for the order of the steps."""
        if self._fully_initialized:
            return
        super().full_init()
        counts = count_instances(self.get_data_list())
        classes = self._metainfo['classes']
        per_class = ', '.join(f'{classes[label]}={counts[label]}'
                              for label in sorted(counts))
        print_log(
            f'{self.dataset_name}: {len(self)} items; instances per class: '
            f'{per_class or "none"}',
            logger='current')
        if self.save_dataset and is_main_process():
            self.save_data_list(self.save_dataset_path)

    def load_data_list(self) -> List[dict]:
        """Load and concatenate the items of all ``ann_cfg`` entries.

        Returns:
            The items, with the ``ann_file`` entries' items merged by image.
        """
        data_list: List[dict] = []
        by_img_path: Dict[str, dict] = {}
        for entry in self.ann_cfg:
            if entry['type'] == 'data_list':
                data_list.extend(
                    self._load_copied(entry['data_list'],
                                      entry.get('classes')))
                continue
            ann_file = self.join_root(entry['ann_file'])
            if not osp.isfile(ann_file):
                raise FileNotFoundError(
                    f'annotation file {ann_file} of a {entry["type"]} entry '
                    f'of {self.dataset_name} does not exist')
            if entry['type'] == 'saved_dataset':
                data_list.extend(
                    self._load_saved(ann_file, entry.get('ann_classes')))
                continue
            for data_info in self.load_ann_file(ann_file,
                                                self.entry_prefix(entry),
                                                entry.get('ann_classes')):
                merged = by_img_path.get(data_info['img_path'])
                if merged is None:
                    by_img_path[data_info['img_path']] = data_info
                    data_list.append(data_info)
                else:
                    known = list(merged['instances'])
                    merged['instances'].extend(i
                                               for i in data_info['instances']
                                               if i not in known)
        return data_list

    @abstractmethod
    def load_ann_file(self, ann_file: str, img_prefix: Optional[str],
                      ann_classes: Optional[Sequence[str]]) -> List[dict]:
        """Read one annotation file of the dataset's format.

        Args:
            ann_file: Path of the file (existence already checked).
            img_prefix: The entry's image prefix (``PREFIX_KEY`` of
                ``data_prefix``, joined with ``data_root``) or None.
            ann_classes: Keep only these classes' boxes; None keeps all of
                the dataset's classes.

        Returns:
            The items of the file in file order.
        """

    def join_root(self, path: str) -> str:
        """``path`` joined with ``data_root`` when relative."""
        if self.data_root and not is_abs(path):
            return join_path(self.data_root, path)
        return path

    def entry_prefix(self, entry: dict) -> Optional[str]:
        """The image prefix of an ``ann_cfg`` entry, falling back to
        ``data_prefix``; None when neither sets one."""
        prefix = entry.get('img_prefix')
        if prefix is None:
            prefix = (entry.get('data_prefix') or {}).get(self.PREFIX_KEY)
        if prefix is None:
            # BaseDataset has already joined data_prefix with data_root.
            return self.data_prefix.get(self.PREFIX_KEY)
        return self.join_root(prefix)

    def make_instances(self,
                       raw_boxes: Sequence[RawBox],
                       ann_classes: Optional[Sequence[str]],
                       width: float,
                       height: float,
                       left_out: 'LeftOutBoxes',
                       img_name: str,
                       source: str = '') -> List[dict]:
        """Turn the boxes of one image into instances.

        Boxes of classes outside ``classes`` (or ``ann_classes``) are left
        out, boxes with no area inside the image are skipped, both noted in
        ``left_out`` for :meth:`report_left_out`. In training (not
        ``test_mode``) a box narrower or lower than ``min_bbox_size`` is
        kept with ``ignore_flag=1``, as the original toolbox moves it to the
        ignored boxes; the ground truth of evaluation is never filtered.

        Args:
            raw_boxes: ``(class name, [x1, y1, x2, y2], ignore)`` per box.
            ann_classes: Classes to keep, or None for all.
            width: Image width.
            height: Image height.
            left_out: Notes the boxes left out.
            img_name: The image named in those notes.
            source: The annotation file, named in errors.

        Returns:
            The instances in box order.

        Raises:
            DataError: naming the image and the box when a coordinate is not
                a finite number.
        """
        cat2label = {c: i for i, c in enumerate(self._metainfo['classes'])}
        min_size = None if self.test_mode else self.min_bbox_size
        instances = []
        for index, (class_name, bbox, ignore) in enumerate(raw_boxes):
            if class_name not in cat2label:
                left_out.other_classes[class_name] += 1
                continue
            if ann_classes is not None and class_name not in ann_classes:
                continue
            try:
                x1, y1, x2, y2 = (float(v) for v in bbox)
                finite = all(math.isfinite(v) for v in (x1, y1, x2, y2))
            except (TypeError, ValueError):
                finite = False
            if not finite:
                raise DataError(
                    f'{source}{": " if source else ""}box {index} '
                    f'({class_name}) of image {img_name} has coordinates '
                    f'{list(bbox)}: expected four finite numbers')
            inside_w = min(x2, width) - max(x1, 0.)
            inside_h = min(y2, height) - max(y1, 0.)
            if inside_w <= 0 or inside_h <= 0:
                left_out.zero_area.append(
                    f'box {index} ({class_name}, {[x1, y1, x2, y2]}) of '
                    f'image {img_name}')
                continue
            too_small = min_size is not None and min(x2 - x1,
                                                     y2 - y1) < min_size
            instances.append(
                dict(
                    bbox=[x1, y1, x2, y2],
                    bbox_label=cat2label[class_name],
                    ignore_flag=int(bool(ignore) or too_small)))
        return instances

    def report_left_out(self, ann_file: str, left_out: 'LeftOutBoxes') -> None:
        """Log what reading ``ann_file`` left out: a warning for boxes
        with zero area inside their image and for class names that differ
        from a dataset class only in case or spaces (``'Dog'`` for
        ``'dog'``), an info line for boxes of other classes."""
        if left_out.zero_area:
            print_log(
                f'{ann_file}: skipped {len(left_out.zero_area)} box(es) with '
                f'zero area inside the image, e.g. {left_out.zero_area[0]}',
                logger='current',
                level=logging.WARNING)
        if not left_out.other_classes:
            return
        by_key = {_name_key(c): c for c in self._metainfo['classes']}
        near = {
            name: by_key[_name_key(name)]
            for name in left_out.other_classes if _name_key(name) in by_key
        }
        if near:
            listed = ', '.join(
                f'{name!r} ({left_out.other_classes[name]} boxes) is not '
                f'{known!r}' for name, known in near.items())
            print_log(
                f'{ann_file}: boxes of classes that are not in `classes` '
                f'were left out: {listed}; class names must match exactly',
                logger='current',
                level=logging.WARNING)
        others = [(n, c) for n, c in left_out.other_classes.most_common()
                  if n not in near]
        if others:
            listed = ', '.join(f'{name} ({count})'
                               for name, count in others[:10])
            more = f' and {len(others) - 10} more' if len(others) > 10 else ''
            print_log(
                f'{ann_file}: left out the boxes of classes not in '
                f'`classes` of {self.dataset_name}: {listed}{more}',
                logger='current')

    def _load_saved(self, ann_file: str,
                    ann_classes: Optional[Sequence[str]]) -> List[dict]:
        with open(ann_file) as f:
            saved = json.load(f)
        if not isinstance(saved, dict) or not {'metainfo', 'data_list'
                                               } <= set(saved):
            raise DataError(f'{ann_file} is not a saved dataset: expected a '
                            'json dict with `metainfo` and `data_list`')
        return [
            self._relabel(data_info, saved['metainfo']['classes'], ann_classes,
                          f'{ann_file}, item {index}')
            for index, data_info in enumerate(saved['data_list'])
        ]

    def _load_copied(self, data_list: Sequence[dict],
                     classes: Optional[Sequence[str]]) -> List[dict]:
        copied = []
        for index, data_info in enumerate(data_list):
            data_info = copy.deepcopy(dict(data_info))
            data_info.pop('sample_idx', None)
            copied.append(
                self._relabel(data_info, classes or self._metainfo['classes'],
                              None, f'copied item {index}'))
        return copied

    def _relabel(self, data_info: dict, source_classes: Sequence[str],
                 ann_classes: Optional[Sequence[str]], where: str) -> dict:
        """``data_info`` with labels of ``source_classes`` turned into labels
        of this dataset by class name; instances of classes this dataset
        (or ``ann_classes``) lacks are left out."""
        cat2label = {c: i for i, c in enumerate(self._metainfo['classes'])}
        instances = []
        for instance in data_info['instances']:
            label = instance['bbox_label']
            if not 0 <= label < len(source_classes):
                raise DataError(
                    f'{where} ({data_info.get("img_path")}) has label '
                    f'{label}, outside the {len(source_classes)} classes '
                    'it was labelled with')
            class_name = source_classes[label]
            if class_name in cat2label and (ann_classes is None
                                            or class_name in ann_classes):
                instances.append(
                    dict(instance, bbox_label=cat2label[class_name]))
        return dict(data_info, instances=instances)

    # ------------------------------------------------------------------
    # filtering
    # ------------------------------------------------------------------
    def filter_data(self) -> List[dict]:
        """Apply ``min_bbox_area``, shot caps, ``filter_empty_gt`` and
        ``instance_wise``.

        Returns:
            The filtered items.
        """
        data_list = self.data_list
        if self.min_bbox_area is not None and not self.test_mode:
            data_list = [
                d for d in data_list
                if all((i['bbox'][2] - i['bbox'][0]) *
                       (i['bbox'][3] - i['bbox'][1]) >= self.min_bbox_area
                       for i in valid_instances(d))
            ]
        if self.ann_shot_filter and not self.test_mode:
            data_list = self._apply_shot_filter(data_list)
        if self.filter_empty_gt and not self.test_mode:
            data_list = [d for d in data_list if valid_instances(d)]
        if self.instance_wise and not self.test_mode:
            data_list = [
                dict(data_info, instances=[instance])
                for data_info in data_list
                for instance in valid_instances(data_info)
            ]
        if not data_list:
            read = len(self.data_list)
            raise DataError(
                f'{self.dataset_name}: no item is left of the {read} images '
                'read from ann_cfg' +
                (f': none holds a target instance of the classes '
                 f'{list(self._metainfo["classes"])} that the filters '
                 '(min_bbox_area, shot caps, filter_empty_gt, '
                 'instance_wise) keep' if read else ''))
        return data_list

    def _apply_shot_filter(self, data_list: List[dict]) -> List[dict]:
        classes = self._metainfo['classes']
        caps = {
            classes.index(c): num_shots
            for c, num_shots in self.ann_shot_filter.items()
        }
        counts: Counter = Counter()
        filtered = []
        for data_info in data_list:
            kept = []
            for instance in data_info['instances']:
                label = instance['bbox_label']
                if not instance['ignore_flag'] and label in caps:
                    if counts[label] >= caps[label]:
                        continue
                    counts[label] += 1
                kept.append(instance)
            if valid_instances(data_info) and not valid_instances(
                    dict(instances=kept)):
                continue
            filtered.append(dict(data_info, instances=kept))
        short = [
            f'{classes[label]} ({counts[label]} < {cap})'
            for label, cap in caps.items() if counts[label] < cap
        ]
        if short:
            print_log(
                f'{self.dataset_name}: fewer instances than the shot cap '
                f'for {", ".join(short)}',
                logger='current',
                level=logging.WARNING)
        return filtered

    # ------------------------------------------------------------------
    # access
    # ------------------------------------------------------------------
    def get_data_list(self) -> List[dict]:
        """A copy of all items (without ``sample_idx``).

        Returns:
            The items in index order, in the format of
            :mod:`mmfewshot.detection.datasets.utils`.
        """
        data_list = []
        for idx in range(len(self)):
            data_info = self.get_data_info(idx)
            data_info.pop('sample_idx')
            data_list.append(data_info)
        return data_list

    def save_data_list(self, path: str) -> None:
        """Write the items and classes as json, loadable through
        ``dict(type='saved_dataset', ann_file=path)``.

        Args:
            path: The json file to write (atomically: a kill leaves the
                previous file); parent folders are created.
        """
        with atomic_write(path) as f:
            json.dump(
                dict(
                    metainfo=dict(classes=list(self._metainfo['classes'])),
                    data_list=self.get_data_list()), f)
        print_log(
            f'{self.dataset_name}: saved {len(self)} items to {path}',
            logger='current')

    def prepare_data(self,
                     idx: int,
                     pipeline_key: Optional[str] = None) -> Any:
        """Run one item through a pipeline.

        Args:
            idx: Index of the item.
            pipeline_key: Name of a pipeline of ``multi_pipelines``; None
                uses ``pipeline``.

        Returns:
            The pipeline's output, e.g. ``dict(inputs=..., data_samples=...)``
            for mmdet's ``PackDetInputs``.

        Raises:
            DataError: naming the image when the pipeline fails because the
                image is missing, empty or not decodable.
        """
        data_info = self.get_data_info(idx)
        if pipeline_key is None:
            if self.multi_pipelines:
                raise ConfigError(f'{self.dataset_name} has named pipelines '
                                  f'{sorted(self.multi_pipelines)}: call '
                                  'prepare_data(idx, pipeline_key)')
            pipeline = self.pipeline
        elif pipeline_key not in self.multi_pipelines:
            raise ConfigKeyError(f'{self.dataset_name} has no pipeline '
                                 f'{pipeline_key!r}; its named pipelines are '
                                 f'{sorted(self.multi_pipelines)}')
        else:
            pipeline = self.multi_pipelines[pipeline_key]
        img_path = data_info.get('img_path')
        try:
            return pipeline(data_info)
        except Exception as error:
            raise_for_unreadable_image(img_path, self.dataset_name, error)
            raise


def build_pipeline(transforms: Transforms) -> Compose:
    """Compose transforms, building configs in the ``mmfewshot_det`` scope.

    mmengine's ``Compose`` looks ``type`` names up in the registry of the
    current default scope, which is unset outside a Runner; building from
    our registry finds mmdet's and mmfewshot's transforms either way.

    Args:
        transforms: Transform configs or callables.

    Returns:
        The composed pipeline.
    """
    return Compose([
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms
    ])


def _parse_benchmark_entry(entry: dict, index: int,
                           with_split: bool) -> Tuple[Optional[int], int]:
    """Check a ``dict(method=..., setting=..., seed=...)`` entry and return
    its split number (None when the setting names none) and shots."""
    method = entry.get('method')
    if method not in BENCHMARK_METHODS:
        raise ConfigError(f'ann_cfg[{index}] has method {method!r}; expected '
                          f'one of {list(BENCHMARK_METHODS)}')
    setting = str(entry.get('setting'))
    match = _SETTING_PATTERN.match(setting)
    if match is None or (match.group(1) and not with_split):
        example = "'SPLIT1_1SHOT' or '1SHOT'" if with_split else "'10SHOT'"
        raise ConfigError(f'ann_cfg[{index}] has setting {setting!r}; '
                          f'expected a setting like {example}')
    seed = entry.get('seed')
    if seed is not None and (not isinstance(seed, int) or seed < 0):
        raise ConfigError(f'ann_cfg[{index}] has seed {seed!r}; expected '
                          'None or a non-negative int')
    num_shots = int(match.group(2))
    if num_shots < 1:
        raise ConfigError(f'ann_cfg[{index}] has setting {setting!r} with '
                          'fewer than one shot')
    return (int(match.group(1)) if match.group(1) else None), num_shots


def expand_benchmark_ann_cfg(
        ann_cfg: List[dict],
        classes: Sequence[str],
        ann_root: str,
        file_template: str,
        splits: Optional[Dict[str, Tuple[str, ...]]],
        class_split_name: Optional[str] = None) -> List[dict]:
    """Turn ``dict(method=..., setting=..., seed=...)`` entries of a
    benchmark (``Default``) dataset into one ``ann_file`` entry per class.

    Args:
        ann_cfg: The entries; those with a ``type`` pass through.
        classes: The dataset's classes; each gets its own split file, which
            contributes only that class's boxes.
        ann_root: The folder holding ``benchmark_{K}shot/`` (the published
            split, ``seed=None``) and ``seed{s}/`` (split drawn with seed
            ``s``); relative to the working directory.
        file_template: File name in those folders, formatted with
            ``num_shots`` and ``class_name``.
        splits: The predefined splits if settings may name one
            (``'SPLIT1_1SHOT'``: every class must be in
            ``ALL_CLASSES_SPLIT1``); None if settings name only shots
            (``'10SHOT'``).
        class_split_name: The split name the dataset's classes were given
            as; a setting's split must be the same split.

    Returns:
        The expanded entries.
    """
    entries = []
    for index, entry in enumerate(ann_cfg):
        if 'type' in entry:
            entries.append(entry)
            continue
        split, num_shots = _parse_benchmark_entry(entry, index, splits
                                                  is not None)
        if split is not None:
            split_classes = splits.get(f'ALL_CLASSES_SPLIT{split}')
            if split_classes is None:
                raise ConfigError(f'ann_cfg[{index}] names split {split}, '
                                  'which is not a predefined split')
            if class_split_name and not class_split_name.endswith(
                    f'_SPLIT{split}'):
                raise ConfigError(
                    f'ann_cfg[{index}] setting {entry["setting"]!r} does not '
                    f'match classes {class_split_name!r}')
            outside = [c for c in classes if c not in split_classes]
            if outside:
                raise ConfigError(
                    f'ann_cfg[{index}] setting {entry["setting"]!r}: classes '
                    f'{outside} are not in ALL_CLASSES_SPLIT{split}')
        seed = entry.get('seed')
        folder = osp.join(
            osp.abspath(ann_root),
            f'benchmark_{num_shots}shot' if seed is None else f'seed{seed}')
        entries.extend(
            dict(
                type='ann_file',
                ann_file=osp.join(
                    folder,
                    file_template.format(num_shots=num_shots, class_name=c)),
                ann_classes=[c]) for c in classes)
    return entries


def copy_ann_cfg(ann_cfg: List[dict]) -> List[dict]:
    """``dict(data_list=...)`` / ``dict(data_infos=...)`` entries of a copy
    dataset as ``data_list`` entries; entries with a ``type`` pass through.

    Args:
        ann_cfg: The copy dataset's ``ann_cfg``.

    Returns:
        Entries of the base dataset's syntax.
    """
    entries = []
    for index, entry in enumerate(ann_cfg):
        if 'type' in entry:
            entries.append(entry)
            continue
        keys = [k for k in ('data_list', 'data_infos') if k in entry]
        if len(keys) != 1:
            raise ConfigError(
                f'ann_cfg[{index}] of a copy dataset needs exactly one of '
                f'`data_list` or `data_infos`, got keys {sorted(entry)}')
        entries.append(
            dict(
                type='data_list',
                data_list=entry[keys[0]],
                classes=entry.get('classes')))
    return entries
