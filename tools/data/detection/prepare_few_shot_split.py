"""Write K-shot split files of a VOC- or COCO-format dataset (TFA protocol).

For every class, seed and K the script picks images until exactly K target
instances of the class are covered (an image whose instances would exceed K
is skipped). Splits of one class and seed are nested: the images of the
K-shot split are also in every larger split. Instances count as
``FewShotVOCDataset`` / ``FewShotCocoDataset`` count them: difficult (VOC)
and crowd (COCO) boxes, and boxes with no area, do not count.

The files are laid out as ``FewShotVOCDefaultDataset`` /
``FewShotCocoDefaultDataset`` read them with ``ann_root=<out>`` and
``ann_cfg=[dict(method='TFA', setting='<K>SHOT', seed=<s>)]``::

    <out>/seed<s>/box_<K>shot_<class>_train.txt            (voc)
    <out>/seed<s>/full_box_<K>shot_<class>_trainval.json   (coco)
    <out>/split_info.json                                  (the arguments)

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
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from mmfewshot.detection.datasets import (COCO_CATEGORY_IDS,
                                          BaseFewShotDataset,
                                          FewShotCocoDataset,
                                          FewShotVOCDataset, valid_instances)
from mmfewshot.utils import get_root_logger

DEFAULT_SHOTS = dict(voc=[1, 2, 3, 5, 10], coco=[10, 30])
DEFAULT_SEEDS = list(range(10))
# (item index in the dataset, number of instances of the class in it)
Candidate = Tuple[int, int]


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
                        seed: int, class_name: str) -> Dict[int, List[int]]:
    """Pick the items of every K-shot split of one class.

    The candidates are shuffled by a generator seeded with ``seed`` and the
    class name (so a class's splits do not depend on the other classes);
    then, for K in increasing order, items are added in shuffled order while
    their instances fit into K, until exactly K are covered.

    Args:
        candidates: ``(item index, instances of the class)`` per item.
        shots: The K values.
        seed: The split's seed.
        class_name: The class (also names it in errors).

    Returns:
        ``{K: item indices}`` in the order they were picked.

    Raises:
        ValueError: If exactly K instances cannot be covered.
    """
    order = list(candidates)
    random.Random(f'{seed}-{class_name}').shuffle(order)
    chosen: List[int] = []
    covered = 0
    splits = {}
    for num_shots in sorted(set(shots)):
        for idx, count in order:
            if covered == num_shots:
                break
            if idx not in chosen and covered + count <= num_shots:
                chosen.append(idx)
                covered += count
        if covered != num_shots:
            total = sum(count for _, count in candidates)
            raise ValueError(
                f'class {class_name!r}, seed {seed}: cannot cover exactly '
                f'{num_shots} instances (got {covered}; the data has {total} '
                f'in {len(candidates)} images)')
        splits[num_shots] = list(chosen)
    return splits


def write_voc_split(path: str, items: List[dict], data_root: str) -> None:
    """One image path per line, relative to the dataset root (paths
    outside it are written as they are)."""
    with open(path, 'w') as f:
        for data_info in items:
            img_path = data_info['img_path']
            if data_root:
                relative = osp.relpath(img_path, data_root)
                if not relative.startswith(os.pardir):
                    img_path = relative
            f.write(img_path.replace(osp.sep, '/') + '\n')


def load_coco_sources(ann_files: List[str]) -> Tuple[dict, dict, list]:
    """Raw images by id, raw annotations by image id, and categories."""
    images, anns_by_img, categories = {}, defaultdict(list), []
    for ann_file in ann_files:
        with open(ann_file) as f:
            coco = json.load(f)
        images.update({img['id']: img for img in coco['images']})
        for ann in coco['annotations']:
            anns_by_img[ann['image_id']].append(ann)
        categories = categories or coco.get('categories', [])
    if not categories:
        categories = [
            dict(id=cat_id, name=name)
            for name, cat_id in COCO_CATEGORY_IDS.items()
        ]
    return images, anns_by_img, categories


def write_coco_split(path: str, items: List[dict], class_name: str,
                     sources: Tuple[dict, dict, list]) -> None:
    """A COCO json with the items' images and their boxes of one class."""
    images, anns_by_img, categories = sources
    cat_ids = {cat['id'] for cat in categories if cat['name'] == class_name}
    img_ids = [data_info['img_id'] for data_info in items]
    with open(path, 'w') as f:
        json.dump(
            dict(
                images=[images[i] for i in img_ids],
                annotations=[
                    ann for i in img_ids for ann in anns_by_img[i]
                    if ann['category_id'] in cat_ids
                ],
                categories=categories), f)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    logger = get_root_logger()
    dataset = build_dataset(args)
    data_list = dataset.get_data_list()
    classes = dataset.metainfo['classes']
    candidates = find_candidates(data_list, len(classes))
    if args.format == 'coco':
        sources = load_coco_sources([
            osp.join(args.data_root, f) if args.data_root else f
            for f in args.ann_file
        ])
    for seed in args.seeds:
        folder = osp.join(args.out, f'seed{seed}')
        os.makedirs(folder, exist_ok=True)
        for label, class_name in enumerate(classes):
            try:
                splits = sample_class_splits(candidates[label], args.shots,
                                             seed, class_name)
            except ValueError as error:
                logger.error(f'error: {error}')
                return 2
            for num_shots, indices in splits.items():
                items = [data_list[i] for i in indices]
                if args.format == 'voc':
                    write_voc_split(
                        osp.join(
                            folder, f'box_{num_shots}shot_{class_name}'
                            '_train.txt'), items, args.data_root)
                else:
                    write_coco_split(
                        osp.join(
                            folder, f'full_box_{num_shots}shot_{class_name}'
                            '_trainval.json'), items, class_name, sources)
    with open(osp.join(args.out, 'split_info.json'), 'w') as f:
        json.dump(
            dict(
                format=args.format,
                data_root=args.data_root,
                ann_file=args.ann_file,
                classes=list(classes),
                novel_classes=list(dataset.metainfo['novel_classes']),
                base_classes=list(dataset.metainfo['base_classes']),
                shots=sorted(set(args.shots)),
                seeds=args.seeds),
            f,
            indent=2)
    logger.info(f'wrote {len(args.seeds)} seed(s) x {len(classes)} classes '
                f'x shots {sorted(set(args.shots))} to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
