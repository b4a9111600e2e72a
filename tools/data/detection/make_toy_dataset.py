"""Generate a small few-shot detection dataset in the PASCAL VOC layout.

Every image shows 1 to 4 filled shapes (the objects) of random colour, size,
aspect and rotation on a textured, cluttered background (noise texture,
colour gradient, thin lines and specks that are not objects). Objects may
overlap (a later one hides part of an earlier one, never most of it) and
may be cut by the image border; objects that are heavily cut or very small
are marked ``difficult``, as VOC annotators do. Six shape classes are base
classes and two are novel classes.

Layout written under ``OUT`` (one VOC subset; what ``FewShotVOCDataset``
reads with ``data_root=OUT``)::

    JPEGImages/<id>.jpg
    Annotations/<id>.xml                 VOC xml, 1-based pixel boxes
    ImageSets/Main/trainval.txt, test.txt
    classes.json                         all / base / novel class names
    few_shot_ann/seed<s>/box_<K>shot_<class>_train.txt
    few_shot_ann/split_info.json         K-shot files of the trainval images,
                                         written by prepare_few_shot_split.py
    annotations/instances_trainval.json, instances_test.json
                                         with ``--coco``: the same boxes in
                                         COCO format (images in JPEGImages/,
                                         difficult boxes as ``iscrowd``)

The K-shot files are read by ``FewShotVOCDefaultDataset`` with
``ann_root=OUT/few_shot_ann`` and
``ann_cfg=[dict(method='TFA', setting='<K>SHOT', seed=<s>)]``. The same
arguments give byte-identical files on the same machine. The folder is
written completely or not at all (it is built next to ``OUT`` and renamed).

Example::

    python tools/data/detection/make_toy_dataset.py data/toy_det
"""
import argparse
import json
import math
import os
import os.path as osp
import shutil
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple
from xml.etree import ElementTree as ET

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

BASE_CLASSES = ('circle', 'square', 'triangle', 'ring', 'cross', 'hexagon')
NOVEL_CLASSES = ('star', 'diamond')
CLASSES = BASE_CLASSES + NOVEL_CLASSES
# Shapes are drawn on a canvas this many times larger, then scaled down
# (anti-aliased edges).
SUPERSAMPLE = 2
Point = Tuple[float, float]


def _regular_polygon(num_corners: int, phase: float) -> List[Point]:
    return [(math.cos(phase + 2 * math.pi * i / num_corners),
             math.sin(phase + 2 * math.pi * i / num_corners))
            for i in range(num_corners)]


def _star() -> List[Point]:
    points = []
    for i in range(10):
        radius = 1.0 if i % 2 == 0 else 0.42
        angle = -math.pi / 2 + math.pi * i / 5
        points.append((radius * math.cos(angle), radius * math.sin(angle)))
    return points


def _cross() -> List[Point]:
    arm = 0.34
    return [(-arm, -1), (arm, -1), (arm, -arm), (1, -arm),
            (1, arm), (arm, arm), (arm, 1), (-arm, 1), (-arm, arm), (-1, arm),
            (-1, -arm), (-arm, -arm)]


# Outlines on the unit square [-1, 1]^2, before rotation and scaling.
POLYGONS: Dict[str, Callable[[], List[Point]]] = dict(
    square=lambda: [(-1, -1), (1, -1), (1, 1), (-1, 1)],
    triangle=lambda: [(0, -1), (1, 0.8), (-1, 0.8)],
    cross=_cross,
    hexagon=lambda: _regular_polygon(6, 0.0),
    star=_star,
    diamond=lambda: [(0, -1), (0.62, 0), (0, 1), (-0.62, 0)],
)
# Rotation jitter in degrees; the diamond's 45-degree turn relative to the
# square is what tells them apart, so neither turns far.
MAX_ROTATION = dict(
    square=12, diamond=12, triangle=20, cross=15, star=36, hexagon=30)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a toy few-shot detection dataset (shapes on '
        'cluttered backgrounds) in the PASCAL VOC layout')
    parser.add_argument('out', help='output folder (created)')
    parser.add_argument(
        '--num-trainval', type=int, default=800, help='trainval images')
    parser.add_argument(
        '--num-test', type=int, default=300, help='test images')
    parser.add_argument(
        '--size', type=int, default=128, help='side of the square images')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--shots',
        type=int,
        nargs='+',
        default=[1, 2, 3, 5, 10],
        help='K of the K-shot split files')
    parser.add_argument(
        '--split-seeds',
        type=int,
        nargs='+',
        default=[0, 1, 2, 3, 4],
        help='seeds of the K-shot split files (those of `make demo-seeds`)')
    parser.add_argument(
        '--coco',
        action='store_true',
        help='also write the annotations in COCO format '
        '(annotations/instances_{trainval,test}.json)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace OUT when it exists (refused otherwise)')
    args = parser.parse_args(argv)
    if args.num_trainval < 1 or args.num_test < 1:
        parser.error('--num-trainval and --num-test must be at least 1')
    if args.size < 48:
        parser.error(f'--size must be at least 48, got {args.size}')
    return args


def _background(rng: np.random.RandomState, size: int) -> Image.Image:
    """A colour gradient with a low-frequency noise texture and clutter."""
    base = rng.uniform(40, 215, size=3)
    tilt = rng.uniform(-50, 50, size=(2, 3))
    ramp = np.linspace(-0.5, 0.5, size)
    img = (
        base + ramp[None, :, None] * tilt[0] + ramp[:, None, None] * tilt[1])
    cells = rng.randint(4, 12)
    noise = rng.normal(0, rng.uniform(6, 22), size=(cells, cells, 3))
    noise = np.asarray(
        Image.fromarray(np.uint8(np.clip(noise + 128, 0, 255))).resize(
            (size, size), Image.BICUBIC),
        dtype=np.float64) - 128
    img = img + noise + rng.normal(0, 4, size=(size, size, 3))
    canvas = Image.fromarray(np.uint8(np.clip(img, 0, 255)))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(2, 9)):
        start = rng.uniform(0, size, size=2)
        end = start + rng.uniform(-size / 2, size / 2, size=2)
        draw.line([tuple(start), tuple(end)],
                  fill=tuple(int(v) for v in rng.randint(0, 256, 3)),
                  width=int(rng.randint(1, 3)))
    for _ in range(rng.randint(3, 15)):
        center = rng.uniform(0, size, size=2)
        radius = rng.uniform(0.5, 2.5)
        draw.ellipse([
            center[0] - radius, center[1] - radius, center[0] + radius,
            center[1] + radius
        ],
                     fill=tuple(int(v) for v in rng.randint(0, 256, 3)))
    return canvas


def _contrasting_colour(rng: np.random.RandomState,
                        background: np.ndarray) -> Tuple[int, int, int]:
    """A random colour whose brightness differs from ``background``'s."""
    for _ in range(20):
        colour = rng.randint(0, 256, 3)
        if abs(colour.mean() - background.mean()) > 60:
            break
    return tuple(int(v) for v in colour)


def _draw_shape(draw: ImageDraw.ImageDraw, class_name: str, center: Point,
                half_w: float, half_h: float, angle: float,
                colour: Tuple[int, int, int]) -> Tuple[float, ...]:
    """Draw one shape on the supersampled canvas; return its box there."""
    cx, cy = center
    if class_name in ('circle', 'ring'):
        box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        if class_name == 'circle':
            draw.ellipse(box, fill=colour)
        else:
            width = max(2, int(round(min(half_w, half_h) * 0.45)))
            draw.ellipse(box, outline=colour, width=width)
        return box
    cos, sin = math.cos(angle), math.sin(angle)
    points = [(cx + x * half_w * cos - y * half_h * sin,
               cy + x * half_w * sin + y * half_h * cos)
              for x, y in POLYGONS[class_name]()]
    draw.polygon(points, fill=colour)
    xs, ys = zip(*points)
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over the smaller of the two boxes' areas."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller


def make_image(rng: np.random.RandomState,
               size: int) -> Tuple[Image.Image, List[dict]]:
    """One image and its objects.

    Returns:
        The RGB image and one dict per object: ``name``, ``bbox``
        (0-based ``[x1, y1, x2, y2]`` in pixels, clipped to the image),
        ``truncated`` and ``difficult``.
    """
    background = _background(rng, size)
    big = size * SUPERSAMPLE
    canvas = background.resize((big, big), Image.BICUBIC)
    draw = ImageDraw.Draw(canvas)
    objects: List[dict] = []
    placed: List[Tuple[float, ...]] = []
    for _ in range(rng.randint(1, 5)):
        class_name = CLASSES[rng.randint(len(CLASSES))]
        for _attempt in range(10):
            extent = rng.uniform(0.12, 0.45) * size
            aspect = math.exp(rng.uniform(-0.2, 0.2))
            half_w, half_h = extent / 2 * aspect, extent / 2 / aspect
            margin = 0.25 * extent if rng.uniform() < 0.15 else -0.5 * extent
            center = rng.uniform(-margin, size + margin, size=2)
            full = (center[0] - half_w, center[1] - half_h, center[0] + half_w,
                    center[1] + half_h)
            if all(_overlap(full, other) < 0.35 for other in placed):
                break
        else:
            continue
        angle = math.radians(
            rng.uniform(-1, 1) * MAX_ROTATION.get(class_name, 0))
        local = np.asarray(
            background.crop(
                tuple(int(v) for v in np.clip(full, 0, size)) if full[2] >
                full[0] else (0, 0, 1, 1)))
        colour = _contrasting_colour(
            rng, local if local.size else np.asarray(background))
        drawn = _draw_shape(draw, class_name,
                            (center[0] * SUPERSAMPLE, center[1] * SUPERSAMPLE),
                            half_w * SUPERSAMPLE, half_h * SUPERSAMPLE, angle,
                            colour)
        box = [v / SUPERSAMPLE for v in drawn]
        clipped = [
            max(box[0], 0.),
            max(box[1], 0.),
            min(box[2], size - 1.),
            min(box[3], size - 1.)
        ]
        if clipped[2] - clipped[0] < 2 or clipped[3] - clipped[1] < 2:
            continue
        area = (box[2] - box[0]) * (box[3] - box[1])
        visible = ((clipped[2] - clipped[0]) *
                   (clipped[3] - clipped[1])) / area
        placed.append(full)
        objects.append(
            dict(
                name=class_name,
                bbox=clipped,
                truncated=int(visible < 0.999),
                difficult=int(visible < 0.45 or min(
                    clipped[2] - clipped[0], clipped[3] - clipped[1]) < 10)))
    img = canvas.resize((size, size), Image.LANCZOS)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 0.6)))
    return img, objects


def write_annotation(path: str, img_id: str, size: int,
                     objects: List[dict]) -> None:
    """Write one VOC xml file (1-based inclusive pixel coordinates)."""
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = 'toy'
    ET.SubElement(root, 'filename').text = f'{img_id}.jpg'
    size_node = ET.SubElement(root, 'size')
    for key, value in (('width', size), ('height', size), ('depth', 3)):
        ET.SubElement(size_node, key).text = str(value)
    for obj in objects:
        node = ET.SubElement(root, 'object')
        ET.SubElement(node, 'name').text = obj['name']
        ET.SubElement(node, 'pose').text = 'Unspecified'
        ET.SubElement(node, 'truncated').text = str(obj['truncated'])
        ET.SubElement(node, 'difficult').text = str(obj['difficult'])
        box = ET.SubElement(node, 'bndbox')
        x1, y1, x2, y2 = obj['bbox']
        for key, value in (('xmin', x1), ('ymin', y1), ('xmax', x2), ('ymax',
                                                                      y2)):
            ET.SubElement(box, key).text = str(int(round(value)) + 1)
    ET.indent(root)
    ET.ElementTree(root).write(path)


def coco_annotations(images: List[Tuple[str, List[dict]]], size: int) -> dict:
    """A COCO instances dict of images and their objects.

    Boxes are the VOC file's, in COCO's 0-based ``[x, y, width, height]``
    (mmdet reads both to the same pixels); a difficult object is a crowd
    box (ignored in training and evaluation, as a difficult VOC box).
    Category ids are 1, 2, ... in the order of ``CLASSES``.
    """
    category_id = {name: index + 1 for index, name in enumerate(CLASSES)}
    coco = dict(
        images=[],
        annotations=[],
        categories=[dict(id=category_id[name], name=name) for name in CLASSES])
    for image_index, (img_id, objects) in enumerate(images, 1):
        coco['images'].append(
            dict(
                id=image_index,
                file_name=f'{img_id}.jpg',
                width=size,
                height=size))
        for obj in objects:
            x1, y1, x2, y2 = (int(round(value)) for value in obj['bbox'])
            coco['annotations'].append(
                dict(
                    id=len(coco['annotations']) + 1,
                    image_id=image_index,
                    category_id=category_id[obj['name']],
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    area=(x2 - x1) * (y2 - y1),
                    iscrowd=int(obj['difficult'])))
    return coco


def write_dataset(out: str,
                  num_trainval: int,
                  num_test: int,
                  size: int,
                  seed: int,
                  coco: bool = False) -> Dict[str, int]:
    """Write images, annotations and image lists into ``out``; with
    ``coco`` also ``annotations/instances_<subset>.json``.

    Returns:
        Number of (non-difficult) instances per class in trainval.
    """
    for folder in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        os.makedirs(osp.join(out, folder), exist_ok=True)
    rng = np.random.RandomState(seed)
    counts = {name: 0 for name in CLASSES}
    index = 0
    for subset, num_images in (('trainval', num_trainval), ('test', num_test)):
        ids, annotated = [], []
        while len(ids) < num_images:
            img, objects = make_image(rng, size)
            if not objects:
                continue
            index += 1
            img_id = f'{index:06d}'
            img.save(osp.join(out, 'JPEGImages', f'{img_id}.jpg'), quality=92)
            write_annotation(
                osp.join(out, 'Annotations', f'{img_id}.xml'), img_id, size,
                objects)
            ids.append(img_id)
            annotated.append((img_id, objects))
            if subset == 'trainval':
                for obj in objects:
                    counts[obj['name']] += 1 - obj['difficult']
        with open(osp.join(out, 'ImageSets', 'Main', f'{subset}.txt'),
                  'w') as f:
            f.write(''.join(f'{img_id}\n' for img_id in ids))
        if coco:
            os.makedirs(osp.join(out, 'annotations'), exist_ok=True)
            with open(
                    osp.join(out, 'annotations', f'instances_{subset}.json'),
                    'w') as f:
                json.dump(coco_annotations(annotated, size), f)
    with open(osp.join(out, 'classes.json'), 'w') as f:
        json.dump(
            dict(
                classes=list(CLASSES),
                base_classes=list(BASE_CLASSES),
                novel_classes=list(NOVEL_CLASSES)),
            f,
            indent=2)
    return counts


def write_few_shot_splits(out: str, shots: Sequence[int],
                          seeds: Sequence[int]) -> None:
    """K-shot split files of the trainval images, by the split generator."""
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    try:
        import prepare_few_shot_split
    finally:
        sys.path.pop(0)
    status = prepare_few_shot_split.main([
        '--format', 'voc', '--data-root', out, '--ann-file',
        'ImageSets/Main/trainval.txt', '--classes', *CLASSES,
        '--novel-classes', *NOVEL_CLASSES, '--shots', *[str(k) for k in shots],
        '--seeds', *[str(s) for s in seeds], '--out',
        osp.join(out, 'few_shot_ann')
    ])
    if status:
        raise RuntimeError('prepare_few_shot_split.py failed (see its log)')


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    out = osp.abspath(args.out)
    if osp.exists(out) and not args.overwrite:
        print(
            f'make_toy_dataset: error: {args.out} exists; pass --overwrite '
            'to replace it',
            file=sys.stderr)
        return 2
    parent = osp.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.toy_det_', dir=parent)
    try:
        counts = write_dataset(staging, args.num_trainval, args.num_test,
                               args.size, args.seed, args.coco)
        write_few_shot_splits(staging, args.shots, args.split_seeds)
        info_path = osp.join(staging, 'few_shot_ann', 'split_info.json')
        with open(info_path) as f:
            info = json.load(f)
        info['data_root'] = args.out
        with open(info_path, 'w') as f:
            json.dump(info, f, indent=2)
        # the split files name images relative to the data root: they stay
        # valid after the rename
        if osp.exists(out):
            shutil.rmtree(out)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f'wrote {args.num_trainval} trainval and {args.num_test} test '
          f'images of {args.size}x{args.size} to {args.out}; trainval '
          'instances per class: ' +
          ', '.join(f'{name}={count}' for name, count in counts.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
