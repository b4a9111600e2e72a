"""Train and meta-test every classification method on the toy dataset at an
equal, small budget and print a table of accuracies.

Each method starts from its shipped miniImageNet Conv4 5-way 1-shot config:
its model, head settings, training episodes (or plain batches), optimiser,
iteration-based learning-rate schedule and meta-test settings are kept; the
data is replaced by the toy dataset (32x32 images of the train / test
classes, see ``tools/data/classification/make_toy_dataset.py``), training
stops after ``--iters`` iterations (epoch-based schedule steps are never
reached within such a budget and are left out), validation is skipped and
the last checkpoint is meta-tested on ``--test-tasks`` 5-way 1-shot tasks
with 15 queries per class. Meta-Baseline first trains the config its meta
stage loads its backbone from, with the same budget.

The configs are read next to this script (``../../configs/classification``
unless ``--config-root`` is given) and the models from the ``mmfewshot``
package that Python imports, so two checkouts can be compared by running
each one's copy with its own ``PYTHONPATH``.

Examples::

    OMP_NUM_THREADS=1 python tools/analysis/benchmark_toy_methods.py \
        data/toy_fewshot --iters 300 --test-tasks 150
    # one method with a setting changed
    OMP_NUM_THREADS=1 python tools/analysis/benchmark_toy_methods.py \
        data/toy_fewshot --methods ProtoNet \
        --cfg-options model.head.squared=True
"""
import argparse
import copy
import json
import os.path as osp
import re
import time
from pathlib import Path
from typing import Dict, List, Optional

import torch
from mmengine.config import Config, DictAction
from terminaltables import AsciiTable

import mmfewshot
from mmfewshot.utils import build_runner, resolve_device

METHODS = {
    'Baseline': ('baseline', 'baseline'),
    'Baseline++': ('baseline_plus', 'baseline-plus'),
    'NegMargin': ('neg_margin', 'neg-margin_cosine'),
    'MatchingNet': ('matching_net', 'matching-net'),
    'ProtoNet': ('proto_net', 'proto-net'),
    'RelationNet': ('relation_net', 'relation-net'),
    'Meta-Baseline': ('meta_baseline', 'meta-baseline'),
    'MAML': ('maml', 'maml'),
}
IMAGE_SIZE = 32
# Conv4 features on 32x32 images: 64 x 2 x 2 flat, or 64 x 6 x 6 maps
# (Conv4NoPool); ResNet12 is not used here
CONV4_FEATURE_DIM = 256
CONV4_NO_POOL_MAP = (6, 6)
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=IMAGE_SIZE),
    dict(type='PackInputs'),
]
PREPROCESSOR = dict(
    type='FewShotClsDataPreprocessor',
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='the toy dataset folder')
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument(
        '--maml-iters',
        type=int,
        default=None,
        help='training iterations of MAML (default: --iters)')
    parser.add_argument('--test-tasks', type=int, default=150)
    parser.add_argument('--methods', nargs='+', choices=list(METHODS))
    parser.add_argument('--work-dir', default='work_dirs/toy_methods')
    parser.add_argument('--config-root', default=None)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--device',
        help='where the models run: cpu, cuda, cuda:1, ... (default: CUDA '
        'when torch sees a GPU)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the results as json here')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='overrides of the methods\' configs (of the meta stage for '
        'Meta-Baseline), e.g. model.head.squared=True')
    return parser.parse_args()


def method_config(config_root: Path, method: str) -> Path:
    """The shipped miniImageNet Conv4 5-way 1-shot config of a method."""
    folder, algorithm = METHODS[method]
    pattern = re.compile(
        rf'{algorithm}_conv4_1xb\d+_mini-imagenet_5way-1shot\.py')
    found = [
        path for path in (config_root / folder / 'mini_imagenet').iterdir()
        if pattern.fullmatch(path.name)
    ]
    if len(found) != 1:
        raise FileNotFoundError(f'{method}: expected one config matching '
                                f'{pattern.pattern}, found {found}')
    return found[0]


def toy_split(data_root: str, subset: str) -> dict:
    return dict(
        type='MiniImageNetDataset',
        data_prefix=data_root,
        subset=subset,
        classes=f'{data_root}/{subset}_classes.txt',
        pipeline=PIPELINE)


def shrink_head(head: Optional[dict], num_base_classes: int) -> None:
    """Fit a head config of 84x84 Conv4 features to 32x32 toy features."""
    if head is None:
        return
    if head.get('type') == 'RelationHead':
        head['feature_size'] = CONV4_NO_POOL_MAP
        # two pooled conv blocks need padding on a 6x6 map
        head['padding'] = 1
    elif 'in_channels' in head:
        head['in_channels'] = CONV4_FEATURE_DIM
    if head.get('num_classes', 5) != 5:
        head['num_classes'] = num_base_classes


def toy_config(cfg: Config, args: argparse.Namespace, iters: int,
               work_dir: str) -> Config:
    """``cfg`` with the toy data, an ``iters`` budget and no validation."""
    cfg = copy.deepcopy(cfg)
    num_base_classes = len(
        Path(args.data_root, 'train_classes.txt').read_text().split())
    model = cfg.model
    model.pop('data_preprocessor', None)
    cfg.pop('data_preprocessor', None)
    model.data_preprocessor = PREPROCESSOR
    if model.backbone.type not in ('Conv4', 'Conv4NoPool'):
        raise ValueError(f'{model.type}: the toy benchmark runs Conv4 '
                         f'configs, got {model.backbone.type}')
    model.backbone.pop('init_cfg', None)
    shrink_head(model.get('head'), num_base_classes)
    shrink_head(model.get('meta_test_head'), num_base_classes)

    train = cfg.train_dataloader
    train.num_workers = 0
    train.persistent_workers = False
    train.sampler = dict(type='InfiniteSampler', shuffle=True)
    if train.dataset.type == 'EpisodicDataset':
        train.dataset.dataset = toy_split(args.data_root, 'train')
        train.dataset.episodes_seed = args.seed
    else:
        train.dataset = toy_split(args.data_root, 'train')
    cfg.test_dataloader = dict(
        batch_size=64,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='MetaTestDataset',
            num_episodes=args.test_tasks,
            num_ways=5,
            num_shots=1,
            num_queries=15,
            episodes_seed=2,
            dataset=toy_split(args.data_root, 'test')))
    cfg.val_dataloader = None
    cfg.val_cfg = None
    cfg.val_evaluator = None

    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    cfg.param_scheduler = [
        scheduler for scheduler in schedulers
        if not scheduler.get('by_epoch', True)
    ]
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.logger = dict(
        type='LoggerHook', interval=50, log_metric_by_epoch=False)
    cfg.log_processor = dict(by_epoch=False)
    cfg.randomness = dict(seed=args.seed)
    cfg.log_level = 'WARNING'
    cfg.load_from = None
    cfg.work_dir = work_dir
    if getattr(args, 'device', None):
        cfg.device = str(resolve_device(args.device))
    return cfg


def stage_one_config(cfg: Config, config_root: Path) -> Optional[Path]:
    """The config whose checkpoint a meta stage loads its backbone from."""
    init_cfg = cfg.model.backbone.get('init_cfg')
    if not init_cfg:
        return None
    match = re.search(r'work_dirs/([^/]+)/', init_cfg['checkpoint'])
    if match is None:
        raise ValueError(f'cannot tell the stage-1 config of checkpoint '
                         f'{init_cfg["checkpoint"]}')
    found = list(config_root.rglob(f'{match.group(1)}.py'))
    if len(found) != 1:
        raise FileNotFoundError(f'stage-1 config {match.group(1)}.py: '
                                f'found {found}')
    return found[0]


def train_and_test(cfg: Config) -> Dict[str, float]:
    runner = build_runner(cfg)
    start = time.perf_counter()
    runner.train()
    train_seconds = time.perf_counter() - start
    metrics = runner.test()
    return dict(
        accuracy=float(metrics['accuracy_mean']),
        ci=float(metrics['accuracy_ci']),
        train_seconds=train_seconds)


def run_method(method: str, args: argparse.Namespace,
               config_root: Path) -> Dict[str, float]:
    path = method_config(config_root, method)
    cfg = Config.fromfile(str(path))
    cfg.merge_from_dict(args.cfg_options)
    iters = args.iters
    if method == 'MAML' and args.maml_iters:
        iters = args.maml_iters
    work_dir = osp.join(args.work_dir, method)
    stage_one = stage_one_config(cfg, config_root)
    result: Dict[str, float] = dict(config=path.name, iters=iters)
    if stage_one is not None:
        one_dir = osp.join(work_dir, 'stage1')
        stage_one_result = train_and_test(
            toy_config(Config.fromfile(str(stage_one)), args, iters, one_dir))
        result['stage1_config'] = stage_one.name
        result['stage1_accuracy'] = stage_one_result['accuracy']
        cfg = toy_config(cfg, args, iters, work_dir)
        cfg.model.backbone.init_cfg = dict(
            type='Pretrained',
            checkpoint=osp.join(one_dir, f'iter_{iters}.pth'),
            prefix='backbone.')
        result.update(train_and_test(cfg))
        result['train_seconds'] += stage_one_result['train_seconds']
    else:
        result.update(train_and_test(toy_config(cfg, args, iters, work_dir)))
    return result


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    config_root = Path(args.config_root) if args.config_root else Path(
        __file__).resolve().parents[2] / 'configs' / 'classification'
    print(f'mmfewshot from {osp.dirname(mmfewshot.__file__)}, '
          f'configs from {config_root}')
    results: Dict[str, dict] = {}
    for method in args.methods or list(METHODS):
        results[method] = run_method(method, args, config_root)
        print(f'{method}: {results[method]}', flush=True)
    rows: List[List[str]] = [[
        'method', 'config', 'iters', 'train s', '5-way 1-shot accuracy'
    ]]
    for method, result in results.items():
        rows.append([
            method, result['config'],
            str(result['iters']), f'{result["train_seconds"]:.0f}',
            f'{result["accuracy"]:.2f} ± {result["ci"]:.2f}'
        ])
    print(AsciiTable(rows).table)
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(results, file, indent=2)


if __name__ == '__main__':
    main()
