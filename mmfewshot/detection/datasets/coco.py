"""Few-shot COCO datasets (and any dataset with COCO-format json)."""
import json
import logging
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log

from mmfewshot.detection.registry import DATASETS
from mmfewshot.utils.errors import DataError
from .base import (BaseFewShotDataset, LeftOutBoxes, copy_ann_cfg,
                   expand_benchmark_ann_cfg)
from .class_splits import COCO_CATEGORY_IDS, COCO_SPLIT


def read_coco_json(ann_file: str) -> dict:
    """A COCO instances json, checked for ``images`` and ``annotations``.

    Raises:
        DataError: naming the file when it is not json or lacks those keys.
    """
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except json.JSONDecodeError as error:
        raise DataError(f'{ann_file} is not valid json: {error}') from error
    missing = [
        k for k in ('images', 'annotations')
        if not isinstance(coco, dict) or k not in coco
    ]
    if missing:
        raise DataError(f'{ann_file} is not a COCO instances file: it '
                        f'has no {missing}')
    return coco


@DATASETS.register_module()
class FewShotCocoDataset(BaseFewShotDataset):
    """COCO for few-shot detection (any COCO-format instances json).

    An ``ann_file`` is a COCO instances json (``images``, ``annotations``
    and ``categories``; a file without ``categories``, such as the published
    TFA split files, is read with the official COCO category ids). Images are
    ``<img_prefix>/<file_name>``, where the prefix is the entry's
    ``img_prefix`` (or ``data_prefix=dict(img=...)``), else the dataset's
    ``data_prefix['img']``, else ``data_root``. Annotations marked
    ``ignore`` are left out, ``iscrowd`` ones get ``ignore_flag=1``; boxes
    are converted from ``[x, y, w, h]`` to ``[x1, y1, x2, y2]``.

    Example::

        dict(type='FewShotCocoDataset',
             data_root='data/coco/',
             ann_cfg=[dict(type='ann_file',
                           ann_file='annotations/instances_train2017.json',
                           img_prefix='train2017/')],
             classes='BASE_CLASSES', pipeline=[...])

    Args:
        **kwargs: Arguments of :class:`BaseFewShotDataset`.
    """

    SPLITS = COCO_SPLIT
    SPLIT_DATASET = 'coco'
    PREFIX_KEY = 'img'

    def image_folder(self, img_prefix: Optional[str]) -> str:
        """The folder ``file_name`` is relative to: ``img_prefix`` (an
        entry's prefix, see :meth:`entry_prefix`), else ``data_root``."""
        return img_prefix if img_prefix is not None else (self.data_root or '')

    def load_ann_file(self, ann_file: str, img_prefix: Optional[str],
                      ann_classes: Optional[Sequence[str]]) -> List[dict]:
        """Read a COCO instances json.

        Args:
            ann_file: The json file.
            img_prefix: The image folder, or None for ``data_root``.
            ann_classes: Keep only these classes' boxes; None keeps all.

        Returns:
            One item per entry of ``images``, in file order.
        """
        coco = read_coco_json(ann_file)
        if 'categories' in coco:
            cat_names = {cat['id']: cat['name'] for cat in coco['categories']}
        else:
            cat_names = {i: name for name, i in COCO_CATEGORY_IDS.items()}
        anns_by_img: Dict[int, list] = defaultdict(list)
        for ann in coco['annotations']:
            if ann.get('category_id') not in cat_names:
                raise DataError(
                    f'{ann_file}: annotation {ann.get("id")} has '
                    f'category_id {ann.get("category_id")}, which is not in '
                    'its categories')
            bbox = ann.get('bbox')
            if not isinstance(bbox, (list, tuple)) or len(bbox) != 4 or any(
                    not isinstance(v, (int, float)) or isinstance(v, bool)
                    for v in bbox):
                raise DataError(f'{ann_file}: annotation {ann.get("id")} '
                                'needs a bbox [x, y, width, height] of '
                                f'numbers, got {bbox!r}')
            if not ann.get('ignore', False):
                anns_by_img[ann['image_id']].append(ann)
        prefix = self.image_folder(img_prefix)
        data_list = []
        left_out = LeftOutBoxes()
        for img in coco['images']:
            missing = [
                key for key in ('id', 'file_name', 'width', 'height')
                if key not in img
            ]
            if missing:
                raise DataError(f'{ann_file}: image entry {img} has no '
                                f'{missing}')
            for key in ('width', 'height'):
                if not isinstance(img[key], (int, float)) or isinstance(
                        img[key], bool) or not img[key] > 0:
                    raise DataError(
                        f'{ann_file}: image {img["id"]} ({img["file_name"]}) '
                        f'has {key} {img[key]!r}; expected a positive number')
            img_path = osp.join(prefix, img['file_name'])
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'{ann_file}: image {img_path} (image id {img["id"]}) '
                    'does not exist')
            raw_boxes = [(cat_names[ann['category_id']], [
                ann['bbox'][0], ann['bbox'][1],
                ann['bbox'][0] + ann['bbox'][2],
                ann['bbox'][1] + ann['bbox'][3]
            ], bool(ann.get('iscrowd', False)))
                         for ann in anns_by_img[img['id']]]
            data_list.append(
                dict(
                    img_path=img_path,
                    img_id=img['id'],
                    height=img['height'],
                    width=img['width'],
                    instances=self.make_instances(
                        raw_boxes,
                        ann_classes,
                        img['width'],
                        img['height'],
                        left_out,
                        str(img['id']),
                        source=ann_file)))
        self.report_left_out(ann_file, left_out)
        listed = {img['id'] for img in coco['images']}
        orphans = [
            image_id for image_id in anns_by_img if image_id not in listed
        ]
        if orphans:
            num_anns = sum(len(anns_by_img[i]) for i in orphans)
            print_log(
                f'{ann_file}: left out {num_anns} annotation(s) of '
                f'{len(orphans)} image id(s) that are not in its `images`, '
                f'e.g. image_id {orphans[0]!r} (annotation '
                f'{anns_by_img[orphans[0]][0].get("id")})',
                logger='current',
                level=logging.WARNING)
        return data_list


@DATASETS.register_module()
class FewShotCocoDefaultDataset(FewShotCocoDataset):
    """COCO few-shot benchmark splits, by name.

    ``ann_cfg=[dict(method='TFA', setting='10SHOT', seed=None)]`` reads, for
    every class of ``classes``, the file
    ``<ann_root>/benchmark_{K}shot/full_box_{K}shot_{class}_trainval.json``
    (the published split; ``seed=s`` reads ``<ann_root>/seed{s}/...``) and
    keeps only that class's boxes of its images. A K-shot file holds K
    instances of its class, so ``num_novel_shots=K`` / ``num_base_shots=K``
    give exactly K instances per class.

    Every method (``TFA``, ``FSCE``, ``Attention_RPN``, ``MPSR``,
    ``MetaRCNN``, ``FSDetView``) reads the same files; ``method`` records
    which protocol a config follows. ``setting`` is ``{K}SHOT`` (published
    K: 10 and 30; other K for splits written by
    ``tools/data/detection/prepare_few_shot_split.py``). The published files
    name images ``COCO_{train,val}2014_*.jpg`` from both 2014 folders: put
    them in one folder (e.g. ``trainval2014/``) and point ``data_prefix`` at
    it. Entries with a ``type`` may be mixed in.

    Args:
        ann_root: The folder holding ``benchmark_{K}shot/`` and ``seed{s}/``;
            relative to the working directory, not to ``data_root``.
        **kwargs: Arguments of :class:`FewShotCocoDataset`.
    """

    def __init__(self,
                 ann_root: str = 'data/few_shot_ann/coco',
                 **kwargs) -> None:
        self.ann_root = ann_root
        super().__init__(**kwargs)

    def _expand_ann_cfg(self, ann_cfg: List[dict],
                        metainfo: dict) -> List[dict]:
        return expand_benchmark_ann_cfg(
            ann_cfg, metainfo['classes'], self.ann_root,
            'full_box_{num_shots}shot_{class_name}_trainval.json', None)


@DATASETS.register_module()
class FewShotCocoCopyDataset(FewShotCocoDataset):
    """A COCO dataset made of another dataset's items, given at run time.

    ``ann_cfg=[dict(data_list=items, classes=other.metainfo['classes'])]``
    (or ``dict(data_infos=items, ...)``), where ``items`` is e.g.
    ``other.get_data_list()``; labels are matched by class name (without
    ``classes`` the items must be labelled with this dataset's
    ``classes``). Several entries are concatenated.

    Args:
        **kwargs: Arguments of :class:`FewShotCocoDataset`.
    """

    def _expand_ann_cfg(self, ann_cfg: List[dict],
                        metainfo: dict) -> List[dict]:
        return copy_ann_cfg(ann_cfg)
