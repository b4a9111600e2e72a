"""Query-support detection demo: detect the objects of a query image that
look like a few support images of your own (Attention-RPN, Meta R-CNN,
FSDetView).

The support folder names every image's class, either by a sub-folder or by
the file name (an optional ``_<number>`` suffix is dropped)::

    support/                      support/
      dog/                          dog.jpg
        1.jpg                       dog_2.jpg
        2.jpg                       cat.png
      cat/
        a.png

A text file next to an image with the same name (``dog_2.txt``) holds the
object's box, ``x1 y1 x2 y2`` in pixels of that image; without one the whole
image is the object. The classes must be classes of the model (its
checkpoint names them). The picture shows the support instances, one row
per class, next to the detections.

Example::

    python demo/demo_query_support_detection.py CONFIG CHECKPOINT \
        --support-dir support --query query.jpg --out-file result.png
"""
import argparse
import os.path as osp
import re
import sys
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np

from mmfewshot.detection.apis import (format_detections, inference_detector,
                                      init_detector, process_support_images,
                                      show_result)
from mmfewshot.utils import DataError, user_errors
from mmfewshot.utils.image_files import describe_skipped, list_image_files

_NUMBERED = re.compile(r'^(.*)_\d+$')


def _read_box(image_path: str) -> Optional[List[float]]:
    box_file = osp.splitext(image_path)[0] + '.txt'
    if not osp.isfile(box_file):
        return None
    with open(box_file) as f:
        values = f.read().split()
    try:
        box = [float(v) for v in values]
    except ValueError:
        box = []
    if len(box) != 4:
        raise DataError(f'box file {box_file} must hold four numbers '
                        f'"x1 y1 x2 y2", got {" ".join(values)!r}')
    return box


def read_support_dir(
    support_dir: str
) -> Tuple[List[str], List[str], List[Optional[List[float]]]]:
    """The support images of a folder, their classes and boxes.

    An image is a file of a format the image loader decodes (any case of
    ``.jpg``, ``.png``, ``.webp``, ``.tiff``, ``.bmp`` ...); other files
    (but the ``.txt`` box files) and hidden entries are skipped and listed
    on the standard output.

    Args:
        support_dir: A folder laid out as the module docstring shows.

    Returns:
        Image files, their class names and their boxes (None for the whole
        image), in sorted order.

    Raises:
        DataError: when the folder holds no image or a box file is
            malformed.
    """
    if not osp.isdir(support_dir):
        raise FileNotFoundError(f'support folder {support_dir} does not '
                                'exist')
    files, skipped = list_image_files(support_dir, not_reported=('.txt', ))
    images, labels = [], []
    for relative in files:
        folder, name = osp.split(relative)
        if folder:
            # the class is the first folder below the support folder
            label = folder.split(osp.sep)[0]
        else:
            stem = osp.splitext(name)[0]
            match = _NUMBERED.match(stem)
            label = match.group(1) if match else stem
        images.append(osp.join(support_dir, relative))
        labels.append(label)
    if skipped:
        print(describe_skipped(skipped, support_dir))
    if not images:
        raise DataError(f'support folder {support_dir} holds no image file '
                        'of a format the image loader decodes, directly or '
                        'in class sub-folders')
    return images, labels, [_read_box(image) for image in images]


def support_crops(
        images: Sequence[str], labels: Sequence[str],
        boxes: Sequence[Optional[List[float]]]
) -> List[Tuple[str, np.ndarray]]:
    """``(class, BGR crop)`` of every support instance, for the picture."""
    crops = []
    for image, label, box in zip(images, labels, boxes):
        pixels = mmcv.imread(image)
        if box is not None:
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            pixels = pixels[max(0, y1):y2, max(0, x1):x2]
        crops.append((label, pixels))
    return crops


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Detect the objects of a query image that look like '
        'a few support images, with a query-support detector')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--support-dir',
        required=True,
        help='support images, named or in sub-folders by class (see the '
        'module docstring)')
    parser.add_argument('--query', required=True, help='query image file')
    parser.add_argument(
        '--out-file',
        default='demo_out/demo_query_support_detection.png',
        help='where to save the picture of the detections')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='detections with a lower score are neither printed nor drawn')
    parser.add_argument(
        '--device',
        default=None,
        help='device, e.g. cuda:0 or cpu (default: cuda when available)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    with user_errors('demo'):
        if not osp.isfile(args.query):
            raise FileNotFoundError(f'query image {args.query} does not '
                                    'exist')
        images, labels, boxes = read_support_dir(args.support_dir)
        model = init_detector(args.config, args.checkpoint, args.device)
        classes = process_support_images(model, images, labels, boxes)
    print(f'support: {len(images)} images of {len(classes)} classes '
          f'({", ".join(classes)})')
    result = inference_detector(model, args.query)
    lines = format_detections(result, model.dataset_meta['classes'],
                              args.score_thr)
    print(f'{args.query}: {len(lines)} detections with score >= '
          f'{args.score_thr}')
    for line in lines:
        print(line)
    show_result(
        model,
        args.query,
        result,
        args.out_file,
        args.score_thr,
        support=support_crops(images, labels, boxes))
    print(f'saved the picture to {args.out_file}')


if __name__ == '__main__':
    sys.exit(main())
