"""Detection demo: detect the objects of one image with a trained few-shot
detector (e.g. a fine-tuned TFA model) and draw them.

Example::

    python demo/demo_detection.py CONFIG CHECKPOINT image.jpg \
        --out-file result.png --score-thr 0.3
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmfewshot.detection.apis import (format_detections, inference_detector,
                                      init_detector, show_result)
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
        '--device',
        default=None,
        help='device, e.g. cuda:0 or cpu (default: cuda when available)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    with user_errors('demo'):
        if not osp.isfile(args.image):
            raise FileNotFoundError(f'image {args.image} does not exist')
        model = init_detector(args.config, args.checkpoint, args.device)
    result = inference_detector(model, args.image)
    lines = format_detections(result, model.dataset_meta['classes'],
                              args.score_thr)
    print(f'{args.image}: {len(lines)} detections with score >= '
          f'{args.score_thr}')
    for line in lines:
        print(line)
    show_result(model, args.image, result, args.out_file, args.score_thr)
    print(f'saved the picture to {args.out_file}')


if __name__ == '__main__':
    sys.exit(main())
