"""Train a few-shot detector (base training or few-shot fine-tuning).

Example::

    python tools/detection/train.py \
        configs/detection/tfa/voc/split1/tfa_r101_fpn_voc-split1_base-training.py
"""
import argparse
import os.path as osp
import sys

from mmengine.logging import print_log

from mmfewshot.detection.apis import (build_train_dataloader,
                                      check_dataset_classes, check_load_from,
                                      set_save_dataset_paths)
from mmfewshot.utils import (add_run_args, apply_run_args, build_runner,
                             clean_work_dir_on_input_error, init_dist_env,
                             load_config, user_errors)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a few-shot detector')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume training: from the latest checkpoint in the work dir '
        'when no path is given, else from the given checkpoint')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic CUDA algorithms (slower)')
    add_run_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with user_errors('train'):
        cfg = load_config(args.config, args.cfg_options)
        apply_run_args(cfg, args, scope='mmfewshot_det')
        if args.resume == 'auto':
            cfg.resume = True
            cfg.load_from = None
        elif args.resume is not None:
            if not osp.isfile(args.resume):
                raise FileNotFoundError(
                    f'checkpoint to resume from not found: {args.resume}')
            cfg.resume = True
            cfg.load_from = args.resume
        if args.seed is not None or args.deterministic:
            randomness = cfg.setdefault('randomness', {})
            if args.seed is not None:
                randomness['seed'] = args.seed
            randomness['deterministic'] = args.deterministic
        check_dataset_classes(cfg)
        check_load_from(cfg)
        for path in set_save_dataset_paths(cfg):
            print_log(
                f'the few-shot training set will be saved to {path}',
                logger='current')
        init_dist_env(args.launcher)
        with clean_work_dir_on_input_error(cfg.work_dir):
            build_train_dataloader(cfg)
            runner = build_runner(cfg)
            runner.train()


if __name__ == '__main__':
    sys.exit(main())
