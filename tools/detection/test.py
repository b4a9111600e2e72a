"""Test a trained few-shot detector: mAP of all, base and novel classes.

Example::

    python tools/detection/test.py CONFIG CHECKPOINT --show-dir vis
"""
import argparse
import json
import os.path as osp
import sys

from mmdet.evaluation import DumpDetResults

from mmfewshot.detection.apis import (TEST_RESULTS_FILE, config_digest,
                                      evaluated_splits, format_split_table,
                                      load_detector_checkpoint,
                                      restore_support_set)
from mmfewshot.detection.datasets import apply_split_seed, few_shot_setting
from mmfewshot.utils import (ConfigError, add_run_args, apply_run_args,
                             atomic_write, build_runner, init_dist_env,
                             load_config, user_errors)

TABLE_TITLE = 'AP by class split (%):'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a few-shot detector')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='pickle file for the raw predictions of every test image '
        '(mmdet format)')
    parser.add_argument(
        '--show-dir',
        help='draw the detections of every test image into this folder '
        '(relative paths are inside <work dir>/<time>/)')
    parser.add_argument(
        '--show-score-thr',
        type=float,
        default=0.3,
        help='score threshold of the drawn detections')
    add_run_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with user_errors('test'):
        cfg = load_config(args.config, args.cfg_options)
        # the identity of the run in test_results.json: its config without
        # the seeds, and the K-shot set (split seed, shots) it was tuned on
        digest = config_digest(cfg)
        apply_split_seed(cfg)
        setting = few_shot_setting(cfg)
        apply_run_args(cfg, args, scope='mmfewshot_det')
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
        if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out must be a .pkl file, got {args.out}')
        cfg.load_from = None
        cfg.resume = False
        # the weights come from the checkpoint
        cfg.model.get('backbone', {}).pop('init_cfg', None)
        if args.show_dir:
            visualization = cfg.default_hooks.setdefault(
                'visualization', dict(type='DetVisualizationHook'))
            visualization.update(
                draw=True,
                test_out_dir=args.show_dir,
                score_thr=args.show_score_thr)
        init_dist_env(args.launcher)
        runner = build_runner(cfg)
        if args.out is not None:
            runner.test_evaluator.metrics.append(
                DumpDetResults(out_file_path=args.out))
        # an unconverted checkpoint of the original toolbox is refused with
        # the converter command
        meta = load_detector_checkpoint(runner.model, args.checkpoint,
                                        cfg.model)
        # query-support detectors: the support set the checkpoint carries
        restore_support_set(runner, meta)
        metrics = runner.test()
    if runner.rank != 0:
        return
    splits = evaluated_splits(cfg.get('test_evaluator'))
    table = format_split_table(metrics, splits)
    out = osp.join(runner.work_dir, TEST_RESULTS_FILE)
    with atomic_write(out) as f:
        json.dump(
            dict(
                config=args.config,
                checkpoint=args.checkpoint,
                config_digest=digest,
                split_seed=setting['split_seed'],
                num_shots=setting['num_shots'],
                train_seed=(meta or {}).get('seed'),
                class_splits=list(splits),
                metrics=metrics,
                table=table.splitlines()),
            f,
            indent=2)
    print(f'{TABLE_TITLE}\n{table}', flush=True)
    print(f'metrics written to {out}', flush=True)


if __name__ == '__main__':
    sys.exit(main())
