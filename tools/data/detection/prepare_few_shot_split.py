"""Write K-shot split files of a VOC- or COCO-format dataset (TFA protocol).

For every class, seed and K the script picks images in a seeded random order
until exactly K target instances of the class are covered, skipping images
whose instances would exceed K. When no remaining image fits (e.g. every
image of the class holds two instances and K is 1), the image with the
fewest instances is kept anyway and the split holds more than K instances:
load it with ``num_novel_shots`` / ``num_base_shots`` (or ``ann_shot_filter``)
set to K, and the dataset keeps K of them. Such splits are listed in
``split_info.json`` and logged. Splits of one class and seed are nested: the
images of the K-shot split are also in every larger split. Instances count
as ``FewShotVOCDataset`` / ``FewShotCocoDataset`` count them: difficult
(VOC) and crowd (COCO) boxes, and boxes with no area, do not count.

Everything is checked and drawn before anything is written; the files are
written to a temporary folder beside ``--out`` that replaces ``--out`` in
the end, so a failing run leaves ``--out`` as it was. ``--out`` must not
exist, be empty, or hold an earlier output of this script (it is replaced).

The files are laid out as ``FewShotVOCDefaultDataset`` /
``FewShotCocoDefaultDataset`` read them with ``ann_root=<out>`` and
``ann_cfg=[dict(method='TFA', setting='<K>SHOT', seed=<s>)]``::

    <out>/seed<s>/box_<K>shot_<class>_train.txt            (voc)
    <out>/seed<s>/full_box_<K>shot_<class>_trainval.json   (coco)
    <out>/split_info.json              (the arguments and the overfull splits)

A VOC line names the image (``MyVOC/JPEGImages/img001.png``) or, when the
image's name differs from its annotation's, the annotation
(``MyVOC/Annotations/img001.xml``); both are read back by
``FewShotVOCDataset``. Paths are relative to ``--data-root``.

Example::

    python tools/data/detection/prepare_few_shot_split.py --format voc \\
        --data-root data/VOCdevkit \\
        --ann-file VOC2007/ImageSets/Main/trainval.txt \\
                   VOC2012/ImageSets/Main/trainval.txt \\
        --classes ALL_CLASSES_SPLIT1 \\
        --novel-classes bird bus cow motorbike sofa \\
        --shots 1 2 3 5 10 --seeds 0 1 2 --out data/few_shot_ann/my_voc
"""
import argparse
import json
import os
import os.path as osp
import random
import shutil
import sys
import tempfile
from collections import defaultdict
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmfewshot.detection.datasets import (COCO_CATEGORY_IDS,
                                          BaseFewShotDataset,
                                          FewShotCocoDataset,
                                          FewShotVOCDataset, valid_instances)
from mmfewshot.detection.datasets.coco import read_coco_json
from mmfewshot.utils import get_root_logger, user_errors
from mmfewshot.utils.atomic import fsync_folder
from mmfewshot.utils.errors import ConfigError, DataError

DEFAULT_SHOTS = dict(voc=[1, 2, 3, 5, 10], coco=[10, 30])
DEFAULT_SEEDS = list(range(10))
SPLIT_INFO = 'split_info.json'
# (item index in the dataset, number of instances of the class in it)
Candidate = Tuple[int, int]


class ClassSplits(NamedTuple):
    """The K-shot splits of one class and seed."""

    # K -> item indices, in the order they were picked
    items: Dict[int, List[int]]
    # K -> instances covered, for the splits that hold more than K
    overfull: Dict[int, int]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write K-shot split files (TFA protocol) of a VOC- or '
        'COCO-format dataset')
    parser.add_argument('--format', required=True, choices=['voc', 'coco'])
    parser.add_argument(
        '--data-root',
        default='',
        help='dataset root; relative --ann-file and --img-prefix are '
        'joined with it, and VOC split files name images relative to it')
    parser.add_argument(
        '--ann-file',
        nargs='+',
        required=True,
        help='VOC: image-id list files (ImageSets/Main/*.txt of each '
        'subset); COCO: instances json files')
    parser.add_argument(
        '--img-prefix',
        help='VOC: the folder holding Annotations/ and JPEGImages/ (default: '
        'the folder above ImageSets/); COCO: the image folder')
    parser.add_argument(
        '--classes',
        nargs='+',
        required=True,
        help='class names, or one predefined split name such as '
        'ALL_CLASSES_SPLIT1 or ALL_CLASSES; one file per class is written')
    parser.add_argument(
        '--novel-classes',
        nargs='*',
        default=None,
        help='which of --classes are novel (recorded in split_info.json; '
        'default: the novel classes of a predefined split name, else none)')
    parser.add_argument(
        '--shots',
        nargs='+',
        type=int,
        help='K values (default: 1 2 3 5 10 for voc, 10 30 for coco)')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=DEFAULT_SEEDS,
        help='one split per seed, written to <out>/seed<s>/ (default: 0-9)')
    parser.add_argument('--out', required=True, help='output folder')
    args = parser.parse_args(argv)
    if args.shots is None:
        args.shots = DEFAULT_SHOTS[args.format]
    if min(args.shots) < 1 or min(args.seeds) < 0:
        parser.error('--shots must be positive and --seeds non-negative')
    args.shots = sorted(set(args.shots))
    args.seeds = sorted(set(args.seeds))
    return args


def build_dataset(args: argparse.Namespace) -> BaseFewShotDataset:
    """Load the annotation files as the few-shot dataset of the format."""
    dataset_type = dict(
        voc=FewShotVOCDataset, coco=FewShotCocoDataset)[args.format]
    if len(args.classes) == 1 and args.classes[0] in dataset_type.SPLITS:
        classes = args.classes[0]
    else:
        classes = args.classes
    ann_cfg = [
        dict(type='ann_file', ann_file=ann_file, img_prefix=args.img_prefix)
        for ann_file in args.ann_file
    ]
    return dataset_type(
        ann_cfg=ann_cfg,
        classes=classes,
        novel_classes=args.novel_classes,
        data_root=args.data_root,
        serialize_data=False)


def find_candidates(data_list: List[dict],
                    num_classes: int) -> Dict[int, List[Candidate]]:
    """For every label, the items that hold target instances of it."""
    candidates: Dict[int, List[Candidate]] = defaultdict(list)
    for idx, data_info in enumerate(data_list):
        counts: Dict[int, int] = defaultdict(int)
        for instance in valid_instances(data_info):
            counts[instance['bbox_label']] += 1
        for label in range(num_classes):
            if counts[label]:
                candidates[label].append((idx, counts[label]))
    return candidates


def sample_class_splits(candidates: List[Candidate], shots: Sequence[int],
                        seed: int, class_name: str) -> ClassSplits:
    """Pick the items of every K-shot split of one class.

    The candidates are shuffled by a generator seeded with ``seed`` and the
    class name (so a class's splits do not depend on the other classes);
    then, for K in increasing order, items are added in shuffled order while
    their instances fit into K. If fewer than K are covered after that, the
    unused item with the fewest instances (the first of them in shuffled
    order) is added, and the split holds more than K instances.

    Args:
        candidates: ``(item index, instances of the class)`` per item.
        shots: The K values.
        seed: The split's seed.
        class_name: The class (also names it in errors).

    Returns:
        The items of every K and the splits holding more than K instances.

    Raises:
        DataError: If the data holds fewer than K instances of the class.
    """
    total = sum(count for _, count in candidates)
    if total < max(shots):
        raise DataError(
            f'class {class_name!r}: the data holds {total} instance(s) of it '
            f'in {len(candidates)} image(s), fewer than the {max(shots)} a '
            f'{max(shots)}-shot split needs')
    order = list(candidates)
    random.Random(f'{seed}-{class_name}').shuffle(order)
    chosen: List[int] = []
    covered = 0
    splits = ClassSplits({}, {})
    for num_shots in sorted(set(shots)):
        for idx, count in order:
            if covered >= num_shots:
                break
            if idx not in chosen and covered + count <= num_shots:
                chosen.append(idx)
                covered += count
        if covered < num_shots:
            # every unused item would exceed K: keep the smallest one
            _, position = min((count, position)
                              for position, (idx, count) in enumerate(order)
                              if idx not in chosen)
            idx, count = order[position]
            chosen.append(idx)
            covered += count
        if covered > num_shots:
            splits.overfull[num_shots] = covered
        splits.items[num_shots] = list(chosen)
    return splits


def voc_split_line(data_info: dict, data_root: str) -> str:
    """The line of a VOC split file that ``FewShotVOCDataset`` reads back
    as this item: the image path when the image's name (without extension)
    is the annotation's, else the annotation path. Relative to
    ``data_root`` when inside it."""
    img_path = data_info['img_path']
    subset, _, file_name = img_path.rpartition(osp.join('JPEGImages', ''))
    if osp.splitext(file_name)[0] == data_info['img_id']:
        path = img_path
    else:
        path = osp.join(subset, 'Annotations', f'{data_info["img_id"]}.xml')
    if data_root:
        relative = osp.relpath(path, data_root)
        if not relative.startswith(os.pardir):
            path = relative
    return path.replace(osp.sep, '/')


class CocoSources:
    """The raw COCO entries behind a dataset's items, by image path.

    An image listed by several files keeps the entry of the first and the
    annotations of all; every annotation carries its category name (each
    file's ids are read with that file's categories).

    Args:
        ann_files: The instances json files, as the dataset read them.
        image_folder: The folder their ``file_name`` is relative to, as the
            dataset used it.
        classes: The dataset's classes, in label order.
    """

    def __init__(self, ann_files: Sequence[str], image_folder: str,
                 classes: Sequence[str]) -> None:
        self.images: Dict[str, dict] = {}
        self.annotations: Dict[str, List[Tuple[str, dict]]] = defaultdict(list)
        known_ids: Dict[str, int] = {}
        for ann_file in ann_files:
            coco = read_coco_json(ann_file)
            if 'categories' in coco:
                names = {cat['id']: cat['name'] for cat in coco['categories']}
            else:
                names = {i: name for name, i in COCO_CATEGORY_IDS.items()}
            for cat_id, name in names.items():
                known_ids.setdefault(name, cat_id)
            anns_by_img = defaultdict(list)
            for ann in coco['annotations']:
                anns_by_img[ann['image_id']].append(ann)
            for img in coco['images']:
                path = osp.join(image_folder, img['file_name'])
                self.images.setdefault(path, img)
                self.annotations[path].extend(
                    (names[ann['category_id']], ann)
                    for ann in anns_by_img[img['id']])
        ids = [known_ids.get(name) for name in classes]
        if None in ids or len(set(ids)) < len(ids):
            # the files disagree: number the classes in label order
            ids = list(range(1, len(classes) + 1))
        self.category_ids = dict(zip(classes, ids))

    def split_json(self, items: List[dict], class_name: str) -> dict:
        """A COCO json with the items' images and their boxes of one class.

        Image and annotation ids of the source files are kept unless two
        files used the same id; then later ones get unused ids.
        """
        images, annotations = [], []
        image_ids = _FreshIds()
        ann_ids = _FreshIds()
        for data_info in items:
            path = data_info['img_path']
            image = dict(
                self.images[path], id=image_ids.take(self.images[path]['id']))
            images.append(image)
            annotations.extend(
                dict(
                    ann,
                    id=ann_ids.take(ann.get('id')),
                    image_id=image['id'],
                    category_id=self.category_ids[class_name])
                for name, ann in self.annotations[path] if name == class_name)
        return dict(
            images=images,
            annotations=annotations,
            categories=[
                dict(id=cat_id, name=name)
                for name, cat_id in self.category_ids.items()
            ])


class _FreshIds:
    """Keeps ids unique: an id taken before is replaced by an unused one."""

    def __init__(self) -> None:
        self.used: set = set()

    def take(self, wanted: Optional[int]) -> int:
        if not isinstance(wanted, int) or wanted in self.used:
            wanted = max(
                (i for i in self.used if isinstance(i, int)), default=0) + 1
        self.used.add(wanted)
        return wanted


def check_output_folder(out: str) -> None:
    """Refuse an ``--out`` that holds something else than an earlier split.

    Raises:
        ConfigError: naming the folder.
    """
    if not osp.exists(out):
        return
    if not osp.isdir(out):
        raise ConfigError(f'--out {out} is a file, not a folder')
    if os.listdir(out) and not osp.isfile(osp.join(out, SPLIT_INFO)):
        raise ConfigError(
            f'--out {out} is not empty and holds no {SPLIT_INFO}: it is not '
            'an earlier output of this script; choose another folder')


def draw_splits(
    args: argparse.Namespace, classes: Sequence[str],
    candidates: Dict[int,
                     List[Candidate]]) -> Dict[Tuple[int, str], ClassSplits]:
    """The splits of every seed and class, drawn before anything is
    written (a class that cannot make them fails the run here)."""
    return {
        (seed, class_name):
        sample_class_splits(candidates[label], args.shots, seed, class_name)
        for seed in args.seeds
        for label, class_name in enumerate(classes)
    }


def write_splits(folder: str, args: argparse.Namespace,
                 dataset: BaseFewShotDataset,
                 splits: Dict[Tuple[int, str], ClassSplits]) -> None:
    """Write the split files and ``split_info.json`` into ``folder``."""
    data_list = dataset.get_data_list()
    classes = dataset.metainfo['classes']
    sources = None
    if args.format == 'coco':
        ann_files = [dataset.join_root(f) for f in args.ann_file]
        sources = CocoSources(
            ann_files,
            dataset.image_folder(
                dataset.entry_prefix(dict(img_prefix=args.img_prefix))),
            classes)
    for (seed, class_name), class_splits in splits.items():
        seed_folder = osp.join(folder, f'seed{seed}')
        os.makedirs(seed_folder, exist_ok=True)
        for num_shots, indices in class_splits.items.items():
            items = [data_list[i] for i in indices]
            if sources is None:
                path = osp.join(seed_folder,
                                f'box_{num_shots}shot_{class_name}_train.txt')
                with open(path, 'w') as f:
                    f.writelines(
                        voc_split_line(data_info, args.data_root) + '\n'
                        for data_info in items)
            else:
                path = osp.join(
                    seed_folder,
                    f'full_box_{num_shots}shot_{class_name}_trainval.json')
                with open(path, 'w') as f:
                    json.dump(sources.split_json(items, class_name), f)
    overfull = [
        dict(
            seed=seed,
            class_name=class_name,
            shots=num_shots,
            instances=instances)
        for (seed, class_name), class_splits in splits.items()
        for num_shots, instances in class_splits.overfull.items()
    ]
    with open(osp.join(folder, SPLIT_INFO), 'w') as f:
        json.dump(
            dict(
                format=args.format,
                data_root=args.data_root,
                ann_file=args.ann_file,
                classes=list(classes),
                novel_classes=list(dataset.metainfo['novel_classes']),
                base_classes=list(dataset.metainfo['base_classes']),
                shots=args.shots,
                seeds=args.seeds,
                more_instances_than_shots=overfull),
            f,
            indent=2)


def publish(staging: str, out: str) -> None:
    """Put the finished ``staging`` folder in the place of ``out``."""
    out = osp.abspath(out)
    if osp.isdir(out):
        retired = tempfile.mkdtemp(
            dir=osp.dirname(out), prefix=f'.{osp.basename(out)}.old-')
        os.rmdir(retired)
        os.rename(out, retired)
        os.rename(staging, out)
        shutil.rmtree(retired)
    else:
        os.rename(staging, out)
    fsync_folder(osp.dirname(out))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    logger = get_root_logger()
    with user_errors('prepare_few_shot_split'):
        check_output_folder(args.out)
        dataset = build_dataset(args)
        classes = dataset.metainfo['classes']
        candidates = find_candidates(dataset.get_data_list(), len(classes))
        splits = draw_splits(args, classes, candidates)
        parent = osp.dirname(osp.abspath(args.out))
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(
            dir=parent, prefix=f'.{osp.basename(osp.abspath(args.out))}.new-')
        try:
            write_splits(staging, args, dataset, splits)
            publish(staging, args.out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    for (seed, class_name), class_splits in splits.items():
        for num_shots, instances in class_splits.overfull.items():
            logger.warning(
                f'seed {seed}, class {class_name!r}: no image set covers '
                f'exactly {num_shots} instance(s); the {num_shots}-shot '
                f'split holds {instances} (load it with the shot cap of '
                f'the class set to {num_shots})')
    logger.info(f'wrote {len(args.seeds)} seed(s) x {len(classes)} classes '
                f'x shots {args.shots} to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
