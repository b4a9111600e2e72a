"""Convert a checkpoint of the original toolbox (OpenMMLab MMFewShot 0.1.0,
mmcv-full 1.x / mmcls 0.x / mmdet 2.x) into one of ours.

Every parameter of the original is renamed, kept or dropped by the rules of
its method (``--method``); a parameter that no rule claims is an error that
names it. The class names (``--classes``, else the checkpoint's
``meta.CLASSES``) go into ``meta.dataset_meta.classes``; the support set a
query-support detector's checkpoint carries becomes our
``meta.support_set``. The output is written completely or not at all and
holds no optimizer state.

Example::

    python tools/model_converters/convert_original_checkpoint.py \\
        meta-rcnn_r101_c4_8xb4_voc-split1_1shot-fine-tuning_20211111.pth \\
        meta-rcnn_voc-split1_1shot.pth --method meta_rcnn
"""
import argparse
import sys
from collections import Counter, OrderedDict
from typing import List, Optional, Sequence

import torch

from mmfewshot.utils import ConfigError, atomic_write, user_errors
from mmfewshot.utils.original_checkpoint import (convert_original_checkpoint,
                                                 get_original_converter,
                                                 load_original_checkpoint)

TOOL = 'convert_original_checkpoint'
# renamed keys listed one by one up to this many, then counted by prefix
MAX_LISTED = 12


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=TOOL,
        description='Convert a checkpoint of the original MMFewShot 0.1.0 '
        'into one of this toolbox')
    parser.add_argument('original', help='the original checkpoint (.pth)')
    parser.add_argument('out', help='the converted checkpoint to write')
    parser.add_argument(
        '--method',
        required=True,
        help='method of the original model zoo, e.g. tfa, fsce, mpsr, '
        'meta_rcnn, fsdetview, attention_rpn, proto_net, maml')
    parser.add_argument(
        '--classes',
        help='comma-separated class names in the order of the model outputs '
        '(default: meta.CLASSES of the checkpoint)')
    parser.add_argument(
        '--support-img-prefix',
        help='query-support detectors: the img_prefix of the original\'s '
        'model-init dataset, joined to the image files of the support set '
        'the checkpoint carries (default: data/VOCdevkit/ for VOC images, '
        'data/coco/ otherwise)')
    return parser.parse_args(argv)


def _classes(text: Optional[str]) -> Optional[List[str]]:
    if text is None:
        return None
    names = [name.strip() for name in text.split(',')]
    if not all(names):
        raise ConfigError(f'--classes {text!r}: empty class name')
    duplicates = sorted(name for name, n in Counter(names).items() if n > 1)
    if duplicates:
        raise ConfigError(f'--classes: {", ".join(duplicates)} given twice')
    return names


def _prefix(key: str) -> str:
    return '.'.join(key.split('.')[:2])


def summary(plan: Sequence[tuple], converted: dict) -> List[str]:
    """Lines that say what became of the original keys: counts, the
    renamed keys (by prefix when many) and the dropped ones with their
    reason, by prefix."""
    counts = Counter(action for _, action, _, _ in plan)
    lines = [
        f'{len(plan)} original keys: {counts["keep"]} kept, '
        f'{counts["rename"]} renamed, {counts["drop"]} dropped, '
        f'{counts["alias"]} duplicates dropped'
    ]
    renamed = [(key, new) for key, action, new, _ in plan
               if action == 'rename']
    if len(renamed) <= MAX_LISTED:
        lines += [f'  renamed {key} -> {new}' for key, new in renamed]
    else:
        by_prefix = Counter(_prefix(key) for key, _ in renamed)
        lines += [
            f'  renamed {n} keys under {prefix}.'
            for prefix, n in sorted(by_prefix.items())
        ]
    dropped: 'OrderedDict[tuple, List[str]]' = OrderedDict()
    for key, action, new, reason in plan:
        if action in ('drop', 'alias'):
            what = f'equal to {new.split(".")[0]}.*; {reason}' \
                if action == 'alias' else reason
            dropped.setdefault((key.split('.')[0], what), []).append(key)
    for (prefix, what), keys in dropped.items():
        name = keys[0] if len(keys) == 1 else f'{len(keys)} keys {prefix}.*'
        lines.append(f'  dropped {name} ({what})')
    meta = converted['meta']
    classes = (meta.get('dataset_meta') or {}).get('classes')
    lines.append(f'  classes: {", ".join(classes)}' if classes else
                 '  classes: unknown (no meta.CLASSES and no --classes)')
    if 'support_set' in meta:
        support = meta['support_set']['data_list']
        lines.append(f'  support set: {len(support)} instances')
    return lines


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    with user_errors(TOOL):
        try:
            converter = get_original_converter(args.method)
        except KeyError as error:
            raise ConfigError(str(error.args[0])) from error
        checkpoint = load_original_checkpoint(args.original)
        state_dict = checkpoint.get('state_dict', checkpoint)
        options = {}
        if args.support_img_prefix is not None:
            options['support_img_prefix'] = args.support_img_prefix
        converted = convert_original_checkpoint(checkpoint, args.method,
                                                _classes(args.classes),
                                                **options)
        plan = converter.plan(state_dict)
        with atomic_write(args.out, 'wb') as f:
            torch.save(converted, f)
    print(f'{args.original} ({converter.field}, {converter.method}) -> '
          f'{args.out}')
    print('\n'.join(summary(plan, converted)), flush=True)


if __name__ == '__main__':
    sys.exit(main())
