"""Train a few-shot classifier; meta-test it at the end.

Example::

    python tools/classification/train.py \
        configs/classification/proto_net/cub/proto-net_conv4_1xb105_cub_5way-1shot.py
"""
import argparse
import os.path as osp
import sys

from mmengine.logging import print_log

from mmfewshot.classification.apis import format_meta_test_result
from mmfewshot.utils import (add_run_args, add_train_args, apply_run_args,
                             apply_train_args, build_runner, init_dist_env,
                             load_config, user_errors)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a few-shot classifier')
    parser.add_argument('config', help='config file')
    add_train_args(parser)
    parser.add_argument(
        '--skip-test',
        action='store_true',
        help='do not meta-test the best (or last) checkpoint after training')
    add_run_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with user_errors('train'):
        cfg = load_config(args.config, args.cfg_options)
        apply_run_args(cfg, args, scope='mmfewshot_cls')
        apply_train_args(cfg, args)
        init_dist_env(args.launcher)
        runner = build_runner(cfg)
        runner.train()
        if args.skip_test or cfg.get('test_cfg') is None:
            return
        best = runner.message_hub.get_info('best_ckpt')
        if best and osp.isfile(best):
            print_log(
                f'meta testing the best checkpoint {best}', logger='current')
            runner.load_checkpoint(best)
        metrics = runner.test()
        if runner.rank == 0:
            print(format_meta_test_result(metrics), flush=True)


if __name__ == '__main__':
    sys.exit(main())
