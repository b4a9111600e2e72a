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
from mmfewshot.utils import (add_run_args, apply_run_args, build_runner,
                             init_dist_env, load_config, user_errors)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a few-shot classifier')
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
