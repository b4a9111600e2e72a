"""Few-shot inference demo: adapt a trained classifier to a support set
given as folders, classify one query image, draw the result.

The support folder holds one sub-folder per class, named by the class, with
that class's support images inside::

    support/
        cat/ 1.jpg
        dog/ 1.jpg 2.jpg

The picture shows the query next to every class's support images, with
the probability of each class. ``--class-names FILE`` names the classes as
a person would (``<folder name><TAB><display name>`` a line, e.g. the
``class_names.txt`` of the toy generator, or ImageNet's ``words.txt``);
without it, a ``class_names.txt`` in the support folder is used if there
is one, else the folder names.

Example::

    python demo/demo_classification.py CONFIG CHECKPOINT \
        --support-dir support --query query.jpg --out-file result.png
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

from mmfewshot.classification.apis import (inference_classifier,
                                           init_classifier,
                                           process_support_images,
                                           read_class_names,
                                           show_result_pyplot)
from mmfewshot.utils import user_errors
from mmfewshot.utils.image_files import describe_skipped, list_image_files


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Classify a query image given a few labelled support '
        'images per class')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--support-dir',
        required=True,
        help='folder with one sub-folder of support images per class (the '
        'sub-folder name is the class name)')
    parser.add_argument('--query', required=True, help='query image')
    parser.add_argument(
        '--class-names',
        default=None,
        help='file mapping folder names to display names, '
        '"<folder name><TAB><display name>" a line (default: '
        '<support dir>/class_names.txt when it exists)')
    parser.add_argument(
        '--out-file',
        default='demo_out/demo_classification.png',
        help='where to save the picture of the prediction')
    parser.add_argument(
        '--device',
        default=None,
        help='device, e.g. cuda:0 or cpu (default: cuda when available)')
    return parser.parse_args(argv)


def read_support_dir(support_dir: str) -> Tuple[List[str], List[str]]:
    """Image paths and class names of a support folder.

    An image is a file of a format the image loader decodes (any case of
    ``.jpg``, ``.png``, ``.webp``, ``.tiff``, ``.bmp`` ...); other files and
    hidden entries are skipped and listed on the standard output.

    Returns:
        ``(images, labels)``: every image of every class sub-folder (both
        sorted by name) and the class name of each.

    Raises:
        FileNotFoundError: the folder does not exist, has no class
            sub-folder, or a class sub-folder has no image.
    """
    if not osp.isdir(support_dir):
        raise FileNotFoundError(f'support folder {support_dir} does not exist')
    classes = sorted(
        entry.name for entry in os.scandir(support_dir)
        if entry.is_dir() and not entry.name.startswith('.'))
    if not classes:
        raise FileNotFoundError(
            f'support folder {support_dir} has no class sub-folder; put the '
            'images of every class into <support dir>/<class name>/')
    images, labels, skipped = [], [], []
    for name in classes:
        class_dir = osp.join(support_dir, name)
        files, left_out = list_image_files(class_dir)
        skipped += [(osp.join(name, path), why) for path, why in left_out]
        if not files:
            raise FileNotFoundError(
                f'support class folder {class_dir} has no image file of a '
                'format the image loader decodes')
        images += [osp.join(class_dir, file) for file in files]
        labels += [name] * len(files)
    if skipped:
        print(describe_skipped(skipped, support_dir))
    return images, labels


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    with user_errors('demo'):
        if not osp.isfile(args.query):
            raise FileNotFoundError(f'query image {args.query} does not exist')
        support_images, support_labels = read_support_dir(args.support_dir)
        names_file = args.class_names or osp.join(args.support_dir,
                                                  'class_names.txt')
        class_names = {}
        if args.class_names or osp.isfile(names_file):
            class_names = read_class_names(names_file)
        model = init_classifier(args.config, args.checkpoint, args.device)
    process_support_images(model, support_images, support_labels)
    result = inference_classifier(model, args.query)
    num_classes = len(model.CLASSES)
    print(f'support: {len(support_images)} images of {num_classes} classes')
    predicted = result['pred_class']
    print(f'query {args.query}: predicted class '
          f'{class_names.get(predicted, predicted)} '
          f'(score {result["pred_score"]:.4f})')
    shown = {name: class_names.get(name, name) for name in model.CLASSES}
    width = max(len(name) for name in shown.values())
    for name, score in sorted(
            result['scores'].items(), key=lambda item: -item[1]):
        print(f'  {shown[name]:<{width}}  {score:.4f}')
    out_dir = osp.dirname(args.out_file)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    show_result_pyplot(
        args.query,
        result,
        out_file=args.out_file,
        title=f'{num_classes}-way few-shot prediction',
        support_imgs=support_images,
        support_labels=support_labels,
        class_names=class_names)
    print(f'saved the picture to {args.out_file}')


if __name__ == '__main__':
    sys.exit(main())
