"""Detection demo: detect the objects of one image with a trained few-shot
detector (e.g. a fine-tuned TFA model) and draw them.

With ``--show-support`` the picture also shows the instances the model
learnt its classes from: the objects of the config's training set (for a
fine-tuning config its K-shot set, read from the split files the config
names), up to ``--max-support`` per class, one row per class.

Example::

    python demo/demo_detection.py CONFIG CHECKPOINT image.jpg \
        --out-file result.png --score-thr 0.3 --show-support
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmfewshot.detection.apis import (format_detections, inference_detector,
                                      init_detector, show_result,
                                      support_instances)
from mmfewshot.utils import user_errors


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Detect objects in an image with a few-shot detector')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('image', help='image file')
    parser.add_argument(
        '--out-file',
        default='demo_out/demo_detection.png',
        help='where to save the picture of the detections')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='detections with a lower score are neither printed nor drawn')
    parser.add_argument(
        '--show-support',
        action='store_true',
        help='draw the instances of the training set of the config (the '
        'K-shot set of a fine-tuning config) next to the detections')
    parser.add_argument(
        '--max-support',
        type=int,
        default=5,
        help='support instances drawn per class with --show-support')
    parser.add_argument(
        '--device',
        default=None,
        help='device, e.g. cuda:0 or cpu (default: cuda when available)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    with user_errors('demo'):
        if not osp.isfile(args.image):
            raise FileNotFoundError(f'image {args.image} does not exist')
        if args.max_support < 1:
            raise ValueError(f'--max-support must be at least 1, got '
                             f'{args.max_support}')
        model = init_detector(args.config, args.checkpoint, args.device)
        support = support_instances(
            model.cfg, args.max_support) if args.show_support else None
    if support is not None:
        counts = {}
        for name, _ in support:
            counts[name] = counts.get(name, 0) + 1
        print('support instances of the training set: ' +
              ', '.join(f'{name} {count}' for name, count in counts.items()))
    result = inference_detector(model, args.image)
    lines = format_detections(result, model.dataset_meta['classes'],
                              args.score_thr)
    print(f'{args.image}: {len(lines)} detections with score >= '
          f'{args.score_thr}')
    for line in lines:
        print(line)
    show_result(
        model,
        args.image,
        result,
        args.out_file,
        args.score_thr,
        support=support)
    print(f'saved the picture to {args.out_file}')


if __name__ == '__main__':
    sys.exit(main())
