"""Check every method on a GPU against the CPU and print a table.

For every method of ``METHODS`` (its toy config: the toy dataset, small
models), the check

1. builds the model once and copies it to the GPU and to the CPU (the same
   initial weights), takes ``--iters`` training batches from the config's
   own training dataloader and runs the same training steps (data
   preprocessor, forward, backward, optimizer step at the config's base
   learning rate) on both, re-seeding every random number generator before
   each step; random draws that matter (mmdet's RoI samplers, our episode
   and support draws) come from CPU generators, so both devices see the
   same ones;
2. compares the total losses of every step: ``|cuda - cpu| <= --rtol *
   |cpu|`` (default 1 %) must hold at every step. TF32 is switched off;
   what remains is a different order of the floating-point sums (about
   1e-6 relative) and, in detectors, proposals of nearly equal scores that
   the two devices may rank differently after a few steps;
3. writes the GPU model's checkpoint, loads it into the CPU model, writes
   that one and loads it into a runner on the GPU (a checkpoint written on
   CUDA loads on the CPU and back: the weights must be equal);
4. runs the meta test (classifiers) or the detection test (detectors, with
   the model initialisation of query-support detectors) of that checkpoint
   on the GPU through the runner the test tools use, with ``device`` set;

then prints a table: method, median GPU / CPU training step time (steps
after the first), the largest relative loss difference, the test
throughput (tasks or images per second), the peak GPU memory and the
verdict. ``--tools`` then runs the tools themselves in this process with
``--device``: the meta test, the detection test of a query-support
detector, the checkpoint surgery and the three demos.

It builds nothing: mmcv's CUDA ops must be installed (``make install`` on
a machine with a GPU). Without a GPU it refuses in one line; ``--device
cpu`` runs the same code CPU against CPU (the loss differences must then
be 0), as the test suite does.

A new method is one line in ``METHODS``: its name, ``'cls'`` or ``'det'``
and its config (a classifier's miniImageNet Conv4 5-way 1-shot config,
turned into a toy config as ``benchmark_toy_methods.py`` does; a
detector's toy config, whose data root ``data/toy_det`` is replaced by the
check's own small toy dataset).

Example::

    python tools/analysis/gpu_check.py --out work_dirs/gpu_check/results.json
    python tools/analysis/gpu_check.py --device cpu --methods ProtoNet TFA
"""
import argparse
import copy
import importlib.util
import json
import math
import os
import os.path as osp
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, set_random_seed
from terminaltables import AsciiTable

import mmfewshot.classification  # noqa: F401
from mmfewshot.classification.registry import MODELS as CLS_MODELS
from mmfewshot.detection.apis import (build_train_dataloader,
                                      restore_support_set)
from mmfewshot.detection.engine import dataset_support_set
from mmfewshot.detection.engine.model_init_loops import SUPPORT_SET_KEY
from mmfewshot.detection.registry import MODELS as DET_MODELS
from mmfewshot.utils import (ConfigError, atomic_write, build_runner,
                             load_checkpoint_strict, resolve_device)

ROOT = Path(__file__).resolve().parents[2]
CLS_CONFIGS = 'configs/classification'
DET_CONFIGS = 'configs/detection'


@dataclass(frozen=True)
class Method:
    """A row of the check: a name, ``'cls'`` or ``'det'`` and a config
    (repository-relative)."""
    name: str
    side: str
    config: str


# one line per method; a new method adds its own
METHODS: List[Method] = [
    Method('Baseline', 'cls', f'{CLS_CONFIGS}/baseline/mini_imagenet/'
           'baseline_conv4_1xb64_mini-imagenet_5way-1shot.py'),
    Method('Baseline++', 'cls', f'{CLS_CONFIGS}/baseline_plus/mini_imagenet/'
           'baseline-plus_conv4_1xb64_mini-imagenet_5way-1shot.py'),
    Method('NegMargin', 'cls', f'{CLS_CONFIGS}/neg_margin/mini_imagenet/'
           'neg-margin_cosine_conv4_1xb64_mini-imagenet_5way-1shot.py'),
    Method('MatchingNet', 'cls', f'{CLS_CONFIGS}/matching_net/mini_imagenet/'
           'matching-net_conv4_1xb105_mini-imagenet_5way-1shot.py'),
    Method('ProtoNet', 'cls', f'{CLS_CONFIGS}/proto_net/mini_imagenet/'
           'proto-net_conv4_1xb105_mini-imagenet_5way-1shot.py'),
    Method('RelationNet', 'cls', f'{CLS_CONFIGS}/relation_net/mini_imagenet/'
           'relation-net_conv4_1xb105_mini-imagenet_5way-1shot.py'),
    Method('Meta-Baseline', 'cls', f'{CLS_CONFIGS}/meta_baseline/'
           'mini_imagenet/meta-baseline_conv4_1xb100_mini-imagenet_'
           '5way-1shot.py'),
    Method('MAML', 'cls', f'{CLS_CONFIGS}/maml/mini_imagenet/'
           'maml_conv4_1xb105_mini-imagenet_5way-1shot.py'),
    Method('TFA', 'det', f'{DET_CONFIGS}/tfa/toy/'
           'tfa_tiny-r18_fpn_toy_base-training.py'),
    Method('FSCE', 'det', f'{DET_CONFIGS}/fsce/toy/'
           'fsce_tiny-r18_fpn_contrastive-loss_toy_5shot-fine-tuning.py'),
    Method('MPSR', 'det', f'{DET_CONFIGS}/mpsr/toy/'
           'mpsr_tiny-r18_fpn_toy_base-training.py'),
    Method('Meta R-CNN', 'det', f'{DET_CONFIGS}/meta_rcnn/toy/'
           'meta-rcnn_tiny-r18_c4_toy_base-training.py'),
    Method('FSDetView', 'det', f'{DET_CONFIGS}/fsdetview/toy/'
           'fsdetview_tiny-r18_c4_toy_base-training.py'),
    Method('Attention-RPN', 'det', f'{DET_CONFIGS}/attention_rpn/toy/'
           'attention-rpn_tiny-r18_c4_toy_base-training.py'),
    Method('DeFRCN', 'det', f'{DET_CONFIGS}/defrcn/toy/'
           'defrcn_tiny-r18_c4_toy_base-training.py'),
]
SCOPES = dict(cls='mmfewshot_cls', det='mmfewshot_det')
# the data root the detection toy configs name
TOY_DET_ROOT = 'data/toy_det'
# toy classification data: 15 / 5 / 5 classes of 24 images (5-way 1-shot
# episodes of up to 20 queries), 32x32 as the toy configs resize them
CLS_DATA_ARGS = [
    '--num-classes', '25', '--images-per-class', '24', '--size', '32',
    '--max-fonts', '2'
]
DET_DATA_ARGS = [
    '--num-trainval', '48', '--num-test', '8', '--shots', '1', '5',
    '--split-seeds', '0'
]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--device',
        default='cuda',
        help='the device checked (default: cuda); cpu runs the check CPU '
        'against CPU')
    parser.add_argument(
        '--reference-device',
        default='cpu',
        help='the device it is compared with (default: cpu)')
    parser.add_argument(
        '--methods',
        nargs='+',
        metavar='NAME',
        help='check only these methods (default: all)')
    parser.add_argument(
        '--iters',
        type=int,
        default=4,
        help='training steps on each device; the first is not timed')
    parser.add_argument(
        '--rtol',
        type=float,
        default=0.01,
        help='largest relative difference of the losses (default: 0.01)')
    parser.add_argument(
        '--test-tasks',
        type=int,
        default=100,
        help='meta-test tasks of a classifier')
    parser.add_argument(
        '--tools',
        action='store_true',
        help='also run the test tools, the surgery and the demos with '
        '--device')
    parser.add_argument('--work-dir', default='work_dirs/gpu_check')
    parser.add_argument(
        '--time-limit',
        type=float,
        default=None,
        help='seconds after which the methods not started yet are skipped')
    parser.add_argument('--out', help='write the results as json here')
    args = parser.parse_args(argv)
    if args.iters < 2:
        parser.error(f'--iters must be at least 2, got {args.iters}')
    if args.test_tasks < 1:
        parser.error(f'--test-tasks must be >= 1, got {args.test_tasks}')
    names = [method.name for method in METHODS]
    unknown = [name for name in args.methods or () if name not in names]
    if unknown:
        parser.error(f'--methods: no method {unknown[0]!r}; methods: '
                     f'{", ".join(names)}')
    return args


def _script(path: str) -> ModuleType:
    """A script of this repository imported as a module."""
    name = Path(path).stem
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare_data(work_dir: str, sides: Sequence[str]) -> Tuple[str, str]:
    """The toy classification and detection datasets of the check (those
    of ``sides``), generated into ``work_dir/data`` unless there already."""
    cls_root = osp.join(work_dir, 'data', 'toy_fewshot')
    det_root = osp.join(work_dir, 'data', 'toy_det')
    if 'cls' in sides and not osp.isfile(
            osp.join(cls_root, 'test_classes.txt')):
        _script('tools/data/classification/make_toy_dataset.py').main(
            [cls_root, '--overwrite', *CLS_DATA_ARGS])
    if 'det' in sides and not osp.isfile(
            osp.join(det_root, 'ImageSets', 'Main', 'test.txt')):
        _script('tools/data/detection/make_toy_dataset.py').main(
            [det_root, '--overwrite', *DET_DATA_ARGS])
    return cls_root, det_root


def _retarget(value: Any, old: str, new: str) -> Any:
    """``value`` with every string under the folder ``old`` moved to
    ``new`` and every dataloader made single-process (no workers) and
    every dataset unsaved."""
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _retarget(value[key], old, new)
        if 'num_workers' in value:
            value['num_workers'] = 0
        if 'persistent_workers' in value:
            value['persistent_workers'] = False
        if value.get('save_dataset'):
            value['save_dataset'] = False
        return value
    if isinstance(value, list):
        return [_retarget(item, old, new) for item in value]
    if isinstance(value, str) and (value == old
                                   or value.startswith(old.rstrip('/') +
                                                       '/')):
        return new + value[len(old.rstrip('/')):]
    return value


def _without_pretrained(value: Any) -> Any:
    """``value`` without the ``init_cfg`` entries that load weights from a
    checkpoint (the check starts from initial weights)."""
    if isinstance(value, dict):
        init = value.get('init_cfg')
        inits = init if isinstance(init, list) else [init]
        if any(
                isinstance(item, dict) and 'Pretrained' in str(
                    item.get('type', '')) for item in inits):
            value.pop('init_cfg')
        for key in value:
            _without_pretrained(value[key])
    elif isinstance(value, list):
        for item in value:
            _without_pretrained(item)
    return value


def toy_config(method: Method, data: Tuple[str, str], work_dir: str,
               args: argparse.Namespace) -> Config:
    """The toy config of a method, reading the check's data."""
    cfg = Config.fromfile(str(ROOT / method.config))
    cfg.model = _without_pretrained(cfg.model)
    if method.side == 'cls':
        benchmark = _script('tools/analysis/benchmark_toy_methods.py')
        options = argparse.Namespace(
            data_root=data[0], seed=0, test_tasks=args.test_tasks)
        cfg = benchmark.toy_config(cfg, options, args.iters, work_dir)
        train = cfg.train_dataloader
        if train.dataset.type == 'EpisodicDataset':
            # the episodes of the steps, not those of a whole training
            train.dataset.num_episodes = args.iters * train.batch_size
        return cfg
    cfg = Config(_retarget(cfg.to_dict(), TOY_DET_ROOT, data[1]))
    cfg.work_dir = work_dir
    cfg.load_from = None
    cfg.log_level = 'WARNING'
    return cfg


def build_model(cfg: Config, side: str) -> torch.nn.Module:
    """The model of ``cfg`` with its initial weights, in training mode."""
    registry = CLS_MODELS if side == 'cls' else DET_MODELS
    with DefaultScope.overwrite_default_scope(SCOPES[side]):
        model = registry.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model.train()


def training_batches(cfg: Config, side: str,
                     num: int) -> Tuple[List[dict], Optional[dict]]:
    """``num`` batches of the config's training dataloader and the support
    set of its dataset (query-support detectors) or None."""
    cfg = copy.deepcopy(cfg)
    with DefaultScope.overwrite_default_scope(SCOPES[side]):
        if side == 'det':
            build_train_dataloader(cfg)
        loader = cfg.train_dataloader
        if isinstance(loader, dict):
            loader = Runner.build_dataloader(loader, seed=0)
        batches = []
        for batch in loader:
            batches.append(batch)
            if len(batches) == num:
                break
    return batches, dataset_support_set(loader.dataset)


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def train_steps(model: torch.nn.Module, cfg: Config, side: str,
                batches: List[dict],
                device: torch.device) -> Tuple[List[float], List[float]]:
    """Train ``model`` on ``device`` one step per batch.

    Returns:
        The total loss and the seconds of every step.
    """
    model.to(device)
    with DefaultScope.overwrite_default_scope(SCOPES[side]):
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    losses, seconds = [], []
    for step, batch in enumerate(batches):
        set_random_seed(step)
        _synchronize(device)
        start = time.perf_counter()
        log_vars = model.train_step(copy.deepcopy(batch), optim_wrapper)
        _synchronize(device)
        seconds.append(time.perf_counter() - start)
        losses.append(float(log_vars['loss'].detach()))
    return losses, seconds


def relative_difference(values: Sequence[float],
                        reference: Sequence[float]) -> float:
    """The largest ``|value - reference| / |reference|`` (inf for a NaN
    or an infinite loss)."""
    largest = 0.
    for value, ref in zip(values, reference):
        if not (math.isfinite(value) and math.isfinite(ref)):
            return math.inf
        largest = max(largest, abs(value - ref) / max(abs(ref), 1e-12))
    return largest


def checkpoint_round_trip(model: torch.nn.Module,
                          reference_model: torch.nn.Module, folder: str,
                          meta: dict) -> Tuple[str, bool]:
    """Write ``model``'s checkpoint, load it into ``reference_model`` (on
    the reference device), write that one: the file a test loads.

    Returns:
        The second checkpoint and whether the weights survived unchanged.
    """
    os.makedirs(folder, exist_ok=True)
    written = osp.join(folder, 'checked_device.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=meta), written)
    load_checkpoint_strict(reference_model, written)
    back = osp.join(folder, 'reference_device.pth')
    torch.save(dict(state_dict=reference_model.state_dict(), meta=meta), back)
    return back, _same_weights(model, reference_model)


def _same_weights(model: torch.nn.Module, other: torch.nn.Module) -> bool:
    other_state = other.state_dict()
    return all(
        torch.equal(value.cpu(), other_state[key].cpu())
        for key, value in model.state_dict().items())


def run_test(cfg: Config, side: str, checkpoint: str, meta: dict,
             device: torch.device,
             trained: torch.nn.Module) -> Tuple[float, str, bool, dict]:
    """Test ``checkpoint`` on ``device`` as the test tools do.

    Returns:
        Throughput, its unit, whether the runner's model holds the trained
        weights, and the test metrics.
    """
    cfg = copy.deepcopy(cfg)
    cfg.device = str(device)
    cfg.default_scope = SCOPES[side]
    cfg.work_dir = osp.join(cfg.work_dir, 'test')
    cfg.resume = False
    cfg.load_from = None
    runner = build_runner(cfg)
    load_checkpoint_strict(runner.model, checkpoint)
    restore_support_set(runner, meta)
    same = _same_weights(trained, runner.model)
    _synchronize(device)
    start = time.perf_counter()
    metrics = runner.test()
    _synchronize(device)
    seconds = time.perf_counter() - start
    if side == 'cls':
        count, unit = cfg.test_dataloader.dataset.num_episodes, 'tasks/s'
    else:
        count, unit = len(runner.test_dataloader.dataset), 'img/s'
    return count / seconds, unit, same, metrics


def check_method(method: Method, args: argparse.Namespace,
                 data: Tuple[str, str], device: torch.device,
                 reference: torch.device) -> dict:
    """Train, compare, round-trip and test one method (module docstring).

    Returns:
        The row of the method (times, loss difference, throughput, peak GPU
        memory, verdict).
    """
    work_dir = osp.join(args.work_dir, method.name.replace(' ', '_'))
    cfg = toy_config(method, data, work_dir, args)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    model = build_model(cfg, method.side)
    reference_model = copy.deepcopy(model)
    batches, support_set = training_batches(cfg, method.side, args.iters)
    losses, seconds = train_steps(model, cfg, method.side, batches, device)
    ref_losses, ref_seconds = train_steps(reference_model, cfg, method.side,
                                          batches, reference)
    difference = relative_difference(losses, ref_losses)
    meta = {SUPPORT_SET_KEY: support_set} if support_set else {}
    checkpoint, round_trip = checkpoint_round_trip(model, reference_model,
                                                   work_dir, meta)
    throughput, unit, loaded, metrics = run_test(cfg, method.side, checkpoint,
                                                 meta, device, model)
    peak = (torch.cuda.max_memory_allocated(device) /
            2**20 if device.type == 'cuda' else None)
    problems = []
    if not difference <= args.rtol:
        problems.append(f'loss difference {difference:.2e} > {args.rtol}')
    if not (round_trip and loaded):
        problems.append('checkpoint weights changed on the way')
    return dict(
        method=method.name,
        step_seconds=statistics.median(seconds[1:]),
        reference_step_seconds=statistics.median(ref_seconds[1:]),
        losses=losses,
        reference_losses=ref_losses,
        loss_difference=difference,
        throughput=throughput,
        throughput_unit=unit,
        peak_memory_mib=peak,
        metrics={key: float(value)
                 for key, value in metrics.items()
                 if isinstance(value, (int, float))},
        status='ok' if not problems else 'FAIL: ' + '; '.join(problems))


def format_table(rows: List[dict], device: torch.device,
                 reference: torch.device) -> str:
    """The results as a text table."""
    header = [
        'method', f'{device.type} step (s)', f'{reference.type} step (s)',
        'loss rel. diff', 'test throughput', 'peak GPU MiB', 'status'
    ]
    table = [header]
    for row in rows:
        if 'step_seconds' not in row:
            table.append([row['method'], '', '', '', '', '', row['status']])
            continue
        peak = row['peak_memory_mib']
        table.append([
            row['method'], f'{row["step_seconds"]:.3f}',
            f'{row["reference_step_seconds"]:.3f}',
            f'{row["loss_difference"]:.1e}',
            f'{row["throughput"]:.1f} {row["throughput_unit"]}',
            '-' if peak is None else f'{peak:.0f}', row['status']
        ])
    return AsciiTable(table).table


def _tool_run(script: str, argv: List[str]) -> Tuple[str, float]:
    """Run a tool's ``main`` in this process: its verdict and seconds."""
    start = time.perf_counter()
    try:
        status = _script(script).main(argv)
    except SystemExit as exit_info:
        status = exit_info.code
    except Exception as error:  # a crashing tool is a finding of the check
        return f'FAIL: {type(error).__name__}: {error}'.splitlines()[0], \
            time.perf_counter() - start
    seconds = time.perf_counter() - start
    if status not in (None, 0):
        return f'FAIL: exit status {status}', seconds
    return 'ok', seconds


def _link(target: Path, source: str) -> None:
    """``target`` becomes a link to ``source`` (kept when it exists)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(osp.abspath(source))


def run_tools(args: argparse.Namespace, data: Tuple[str, str],
              device: torch.device) -> List[Tuple[str, str, float]]:
    """Run the meta test, the query-support detection test, the surgery
    and the demos with ``--device`` on the checkpoints the check wrote
    (ProtoNet's, TFA's and Meta R-CNN's; a run whose checkpoint is missing
    is skipped).

    Returns:
        ``(what, verdict, seconds)`` of every run.
    """
    work = Path(args.work_dir)
    tools = work / 'tools'
    configs, checkpoints = {}, {}
    for name in ('ProtoNet', 'TFA', 'Meta R-CNN'):
        method = next(m for m in METHODS if m.name == name)
        folder = name.replace(' ', '_')
        checkpoints[name] = str(work / folder / 'reference_device.pth')
        configs[name] = str(tools / f'{folder}.py')
        tools.mkdir(parents=True, exist_ok=True)
        toy_config(method, data, str(tools), args).dump(configs[name])
    # the classification demo's support folder: one image of five classes
    wnids = sorted(os.listdir(osp.join(data[0], 'images')))[:5]
    for wnid in wnids:
        image = sorted(os.listdir(osp.join(data[0], 'images', wnid)))[0]
        _link(tools / 'support' / wnid / image,
              osp.join(data[0], 'images', wnid, image))
    query = osp.join(data[0], 'images', wnids[0],
                     sorted(os.listdir(osp.join(data[0], 'images',
                                                wnids[0])))[1])
    test_ids = Path(data[1], 'ImageSets', 'Main', 'test.txt').read_text()
    det_image = osp.join(data[1], 'JPEGImages', test_ids.split()[0] + '.jpg')
    # the query-support demo's support: a whole toy image as a circle
    _link(tools / 'det_support' / 'circle.jpg', det_image)
    base = ['circle', 'square', 'triangle', 'ring', 'cross', 'hexagon']
    plans = [
        ('meta test', 'tools/classification/test.py', 'ProtoNet',
         ['--work-dir', str(tools / 'meta_test')]),
        ('query-support detection test', 'tools/detection/test.py',
         'Meta R-CNN', ['--work-dir', str(tools / 'detection_test')]),
        ('checkpoint surgery', 'tools/detection/misc/initialize_bbox_head.py',
         'TFA', [
             '--method', 'random_init', '--base-classes', *base,
             '--classes', *base, 'star', 'diamond', '--save-dir',
             str(tools / 'surgery')
         ]),
        ('classification demo', 'demo/demo_classification.py', 'ProtoNet', [
            '--support-dir',
            str(tools / 'support'), '--query', query, '--out-file',
            str(tools / 'demo_classification.png')
        ]),
        ('detection demo', 'demo/demo_detection.py', 'TFA',
         [det_image, '--out-file',
          str(tools / 'demo_detection.png')]),
        ('query-support demo', 'demo/demo_query_support_detection.py',
         'Meta R-CNN', [
             '--support-dir',
             str(tools / 'det_support'), '--query', det_image, '--out-file',
             str(tools / 'demo_query_support.png')
         ]),
    ]
    runs = []
    for what, script, method, extra in plans:
        if not osp.isfile(checkpoints[method]):
            runs.append((f'{what} ({script})',
                         f'skipped: no checkpoint of {method}', 0.))
            continue
        if script.endswith('initialize_bbox_head.py'):
            argv = ['--src1', checkpoints[method], *extra]
        else:
            argv = [configs[method], checkpoints[method], *extra]
        verdict, seconds = _tool_run(script, argv + ['--device', str(device)])
        runs.append((f'{what} ({script})', verdict, seconds))
        print(f'{what}: {verdict} ({seconds:.1f} s)', flush=True)
    return runs


def _environment(device: torch.device) -> str:
    from mmcv.ops import get_compiling_cuda_version
    name = (torch.cuda.get_device_name(device)
            if device.type == 'cuda' else 'CPU')
    return (f'{name}; torch {torch.__version__} (CUDA '
            f'{torch.version.cuda or "none"}), mmcv ops compiled with CUDA '
            f'{get_compiling_cuda_version()}; {torch.get_num_threads()} CPU '
            'threads')


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        print(
            f'gpu_check: error: torch {torch.__version__} sees no GPU: run '
            'it where one is visible, or with --device cpu to check its code '
            'CPU against CPU',
            file=sys.stderr)
        return 2
    try:
        device = resolve_device(args.device)
        reference = resolve_device(args.reference_device,
                                   '--reference-device')
    except ConfigError as error:
        print(f'gpu_check: error: {error}', file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    print(_environment(device), flush=True)
    start = time.perf_counter()
    methods = [
        method for method in METHODS
        if not args.methods or method.name in args.methods
    ]
    sides = {method.side for method in methods}
    if args.tools:
        sides = {'cls', 'det'}
    data = prepare_data(args.work_dir, sides)
    # the current logger (the models' initialisation reports to it) shows
    # only warnings
    MMLogger.get_instance('gpu_check', log_level='WARNING')
    rows: List[dict] = []
    for method in methods:
        if args.time_limit and time.perf_counter() - start > args.time_limit:
            rows.append(dict(method=method.name, status='skipped: time limit'))
            continue
        try:
            rows.append(check_method(method, args, data, device, reference))
        except Exception as error:  # one method's failure is a finding
            message = f'{type(error).__name__}: {error}'.splitlines()[0]
            rows.append(dict(method=method.name, status=f'FAIL: {message}'))
        print(f'{method.name}: {rows[-1]["status"]}', flush=True)
        _save(args.out, rows, [])
    tools: List[Tuple[str, str, float]] = []
    if args.tools:
        tools = run_tools(args, data, device)
    print(f'{len(rows)} methods, {args.iters} training steps each on '
          f'{device} and {reference} (the first untimed), loss tolerance '
          f'{args.rtol} relative; {time.perf_counter() - start:.0f} s')
    print(format_table(rows, device, reference))
    if tools:
        print(
            AsciiTable([['tool with --device', 'status', 'seconds']] +
                       [[what, verdict, f'{seconds:.1f}']
                        for what, verdict, seconds in tools]).table)
    _save(args.out, rows, tools)
    failed = [row for row in rows if row['status'] != 'ok'] + [
        run for run in tools if run[1] != 'ok'
    ]
    return 1 if failed else 0


def _save(out: Optional[str], rows: List[dict],
          tools: List[Tuple[str, str, float]]) -> None:
    if not out:
        return
    with atomic_write(out) as file:
        json.dump(
            dict(
                methods=rows,
                tools=[
                    dict(what=what, status=verdict, seconds=seconds)
                    for what, verdict, seconds in tools
                ]),
            file,
            indent=2)


if __name__ == '__main__':
    sys.exit(main())
