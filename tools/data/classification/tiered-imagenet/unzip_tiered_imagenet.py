"""Write the pickled tieredImageNet release out as PNG files.

For every split it reads ``<data-root>/{split}_images_png.pkl`` and
``{split}_labels.pkl`` and writes

    <out-dir>/<split>/classes.txt                 class names in label order
    <out-dir>/<split>/<class name>/<index>.png    the PNG bytes, unchanged

where ``<index>`` is the 6-digit position of the image in the pickle.
``TieredImageNetDataset(data_prefix=<out-dir>)`` reads this form when the
pickles are not next to it, with the same class order and labels.

Example:
    python tools/data/classification/tiered-imagenet/unzip_tiered_imagenet.py \
        --data-root data/tiered_imagenet --out-dir data/tiered_imagenet_png
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.utils import ProgressBar

from mmfewshot.classification.datasets.tiered_imagenet import (
    CLASSES_FILE, as_png_bytes, load_pickled_split)


def unzip_split(data_root: str,
                out_dir: str,
                split: str,
                show_progress: bool = True) -> int:
    """Unpack one split; returns the number of images written."""
    images, labels, class_names = load_pickled_split(data_root, split)
    split_dir = osp.join(out_dir, split)
    for class_name in class_names:
        os.makedirs(osp.join(split_dir, class_name), exist_ok=True)
    with open(osp.join(split_dir, CLASSES_FILE), 'w') as classes_file:
        classes_file.write(''.join(f'{name}\n' for name in class_names))
    progress = ProgressBar(len(images)) if show_progress else None
    for index, label in enumerate(labels.tolist()):
        path = osp.join(split_dir, class_names[label], f'{index:06d}.png')
        with open(path, 'wb') as png_file:
            png_file.write(as_png_bytes(images[index]))
        if progress is not None:
            progress.update()
    return len(images)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description='Unpack the tieredImageNet pickles into PNG files.')
    parser.add_argument(
        '--data-root',
        required=True,
        help='folder holding {split}_images_png.pkl and {split}_labels.pkl')
    parser.add_argument(
        '--out-dir', required=True, help='where <split>/ folders go')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val', 'test'],
        choices=['train', 'val', 'test'])
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    args = parser.parse_args(argv)
    for split in args.splits:
        unzip_split(
            args.data_root,
            args.out_dir,
            split,
            show_progress=not args.no_progress)


if __name__ == '__main__':
    main()
