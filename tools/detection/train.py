"""Train a few-shot detector (base training or few-shot fine-tuning).

Example::

    python tools/detection/train.py \
        configs/detection/tfa/voc/split1/tfa_r101_fpn_voc-split1_base-training.py
"""
import argparse
import sys

from mmengine.logging import print_log

from mmfewshot.detection.apis import (build_train_dataloader,
                                      check_dataset_classes, check_load_from,
                                      set_save_dataset_paths)
from mmfewshot.detection.datasets import SPLIT_SEED_KEY, apply_split_seed
from mmfewshot.utils import (add_run_args, add_train_args, apply_run_args,
                             apply_train_args, build_runner,
                             clean_work_dir_on_input_error, init_dist_env,
                             load_config, user_errors)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a few-shot detector')
    parser.add_argument('config', help='config file')
    add_train_args(parser)
    add_run_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with user_errors('train'):
        cfg = load_config(args.config, args.cfg_options)
        apply_run_args(cfg, args, scope='mmfewshot_det')
        apply_train_args(cfg, args)
        for path in apply_split_seed(cfg):
            print_log(
                f'{path}: the K-shot split of seed {cfg[SPLIT_SEED_KEY]}',
                logger='current')
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
