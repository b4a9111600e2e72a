"""Meta-test a trained few-shot classifier.

Example::

    python tools/classification/test.py CONFIG CHECKPOINT --show-task-results
"""
import argparse
import os.path as osp
import sys

from mmengine.fileio import dump

from mmfewshot.classification.apis import (format_meta_test_result,
                                           load_classifier_checkpoint)
from mmfewshot.utils import (add_run_args, apply_run_args, atomic_write,
                             build_runner, init_dist_env, load_config,
                             user_errors)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Meta-test a few-shot classifier')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file (one of the original toolbox is converted on '
        'the fly)')
    parser.add_argument(
        '--show-task-results',
        action='store_true',
        help='log the accuracy of every task')
    parser.add_argument(
        '--out',
        help='json file for the metrics (default: '
        '<work dir>/meta_test_results.json)')
    add_run_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with user_errors('test'):
        cfg = load_config(args.config, args.cfg_options)
        apply_run_args(cfg, args, scope='mmfewshot_cls')
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
        cfg.load_from = None
        cfg.resume = False
        if args.show_task_results:
            evaluator = cfg.get('test_evaluator') or dict(
                type='EpisodicAccuracy')
            evaluator['show_task_results'] = True
            cfg.test_evaluator = evaluator
        init_dist_env(args.launcher)
        runner = build_runner(cfg)
        load_classifier_checkpoint(runner.model, args.checkpoint)
        metrics = runner.test()
    if runner.rank == 0:
        out = args.out or osp.join(runner.work_dir, 'meta_test_results.json')
        with atomic_write(out) as f:
            dump(
                dict(
                    config=args.config, checkpoint=args.checkpoint, **metrics),
                f,
                file_format='json',
                indent=2)
        print(format_meta_test_result(metrics), flush=True)


if __name__ == '__main__':
    sys.exit(main())
