"""Run a few-shot fine-tuning config over many K-shot split seeds and report
AP / AP50 as mean ± 95% confidence interval over the seeds.

One K-shot set is a noisy estimate: few-shot detection papers (TFA, DeFRCN)
report means over many randomly drawn sets. ``run`` fine-tunes and tests a
config (of any detector) once per split seed, run ``s`` in
``<work dir>/seed<s>/`` with ``--cfg-options split_seed=<s>`` (the split
files ``<ann_root>/seed<s>/`` of
``tools/data/detection/prepare_few_shot_split.py``) and, by default, the
training seed ``s``; then it aggregates. ``aggregate`` summarises finished
runs: a table in the terminal, a JSON file and a plot of AP50 against the
shots with the confidence interval as a band (see
``mmfewshot/detection/apis/multi_seed.py`` for the interval).

Launchers: ``none`` trains and tests the seeds one after the other on this
machine; ``pytorch`` does the same with ``dist_train.sh`` /
``dist_test.sh`` and ``--gpus`` processes; ``slurm`` submits one job per
seed through ``slurm_train.sh`` / ``slurm_test.sh`` and waits for all.
``--dry-run`` prints the command of every seed instead (one line each,
training then testing). Seeds with a finished run of the same config
(``seed<s>/test_results.json``) are skipped; an interrupted one resumes
from its last checkpoint.

Examples::

    # 5 seeds of the 1-shot and 5-shot toy configs from one base model
    CONFIGS=configs/detection/tfa/toy
    python tools/detection/multi_seed.py run \\
        $CONFIGS/tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py \\
        $CONFIGS/tfa_tiny-r18_fpn_toy_5shot-fine-tuning.py \\
        --num-seeds 5 --work-dir work_dirs/toy_seeds --cfg-options \\
        load_from=work_dirs/base/base_model_random_init_bbox_head.pth

    # summarise finished runs
    python tools/detection/multi_seed.py aggregate \\
        work_dirs/toy_seeds/tfa_tiny-r18_fpn_toy_1shot-fine-tuning \\
        work_dirs/toy_seeds/tfa_tiny-r18_fpn_toy_5shot-fine-tuning \\
        --out work_dirs/toy_seeds/seeds_summary.json
"""
import argparse
import copy
import inspect
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

from mmengine.registry import DefaultScope

from mmfewshot.detection.apis import (TEST_RESULTS_FILE, MultiSeedError,
                                      check_complete, config_digest,
                                      format_comparison_table,
                                      format_summary_table, plot_metric_name,
                                      plot_summary, read_seed_runs,
                                      read_test_results, seed_folder,
                                      summarize, write_summary)
from mmfewshot.detection.datasets import (SPLIT_SEED_KEY, apply_split_seed,
                                          benchmark_entries)
from mmfewshot.detection.registry import DATASETS
from mmfewshot.utils import ConfigError, atomic_write, load_config, user_errors
from mmfewshot.utils.run_tools import CfgOptionsAction

TOOL = 'multi_seed'
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PLAN_FILE = 'multi_seed.json'
SUMMARY_FILE = 'seeds_summary.json'
LAUNCHERS = ('none', 'pytorch', 'slurm')


class Experiment(NamedTuple):
    """One config run over the seeds."""

    config: str
    work_dir: str
    digest: str
    # the seeds of this and earlier `run` calls into the work dir
    seeds: List[int]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='multi_seed.py',
        description='Fine-tune and test a few-shot detection config over '
        'many K-shot split seeds; report mean ± 95%% CI over the seeds')
    commands = parser.add_subparsers(dest='command', required=True)

    run = commands.add_parser(
        'run', help='train and test every seed, then aggregate')
    run.add_argument(
        'configs', nargs='+', metavar='CONFIG', help='fine-tuning config(s)')
    _add_seed_args(run)
    run.add_argument(
        '--work-dir',
        help='one config: its work dir (default work_dirs/<config name>), '
        'holding seed<s>/; several configs: the folder of their work dirs '
        '<work dir>/<config name>/ (required)')
    run.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='none: train.py and test.py on this machine, seed after seed; '
        'pytorch: dist_train.sh / dist_test.sh, seed after seed; slurm: one '
        'job per seed (slurm_train.sh / slurm_test.sh), all at once')
    run.add_argument(
        '--gpus',
        type=int,
        default=1,
        help='processes per seed: pytorch: per machine; slurm: in all '
        '(GPUS of slurm_train.sh)')
    run.add_argument('--partition', help='Slurm partition (slurm launcher)')
    run.add_argument(
        '--train-seed',
        choices=['split', 'config'],
        default='split',
        help='training seed of run s: s (default; the runs differ in the '
        'K-shot set and the training randomness), or the config\'s '
        'randomness.seed (only the K-shot set differs)')
    run.add_argument(
        '--dry-run',
        action='store_true',
        help='print the command of every seed that is not finished, run '
        'nothing')
    run.add_argument(
        '--cfg-options',
        nargs='+',
        action=_CfgOptions,
        default={},
        help='override settings of the configs as key=value pairs (nested '
        'keys joined by dots), for the training and the test of every seed, '
        'e.g. load_from=<surgered base model>')
    _add_summary_args(run)

    aggregate = commands.add_parser(
        'aggregate', help='summarise the finished runs of work dirs')
    aggregate.add_argument(
        'work_dirs',
        nargs='+',
        metavar='WORK_DIR',
        help='work dir of one config, holding seed<s>/test_results.json; '
        'several for several numbers of shots')
    _add_seed_args(aggregate, required=False)
    _add_summary_args(aggregate)

    compare = commands.add_parser(
        'compare',
        help='set single runs against a many-seed summary: how far they '
        'fall from its mean')
    compare.add_argument(
        'results',
        nargs='+',
        metavar='TEST_RESULTS',
        help='test_results.json of tools/detection/test.py')
    compare.add_argument(
        '--summary',
        required=True,
        help='summary json of multi_seed.py run / aggregate')

    args = parser.parse_args(argv)
    if args.command == 'compare':
        return args
    if args.seeds is not None:
        repeated = sorted({s for s in args.seeds if args.seeds.count(s) > 1})
        if repeated:
            parser.error(f'--seeds: seed(s) {repeated} given twice')
        if min(args.seeds) < 0:
            parser.error('--seeds must be non-negative')
    if args.num_seeds is not None:
        if args.num_seeds < 1:
            parser.error('--num-seeds must be at least 1')
        args.seeds = list(range(args.num_seeds))
    if args.command == 'run':
        if len(args.configs) > 1 and not args.work_dir:
            parser.error('several configs need --work-dir (the folder of '
                         'their work dirs)')
        if len(set(map(_stem, args.configs))) < len(args.configs):
            parser.error('a config is given twice (or two share a name)')
        if args.gpus < 1:
            parser.error('--gpus must be at least 1')
        if args.launcher == 'slurm' and not args.partition:
            parser.error('--launcher slurm needs --partition')
        if SPLIT_SEED_KEY in args.cfg_options:
            parser.error(f'--cfg-options {SPLIT_SEED_KEY}: the tool sets it '
                         'for every seed (give --seeds)')
        args.raw_options = getattr(args, 'raw_options', [])
    elif len(args.work_dirs) > 1 and not args.out:
        parser.error('several work dirs need --out (the summary json)')
    return args


def _add_seed_args(parser: argparse.ArgumentParser,
                   required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        '--seeds', type=int, nargs='+', help='the split seeds, e.g. 0 1 2')
    group.add_argument(
        '--num-seeds', type=int, help='seeds 0 to N-1 (as --seeds)')


def _add_summary_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--out',
        help=f'summary json (default: <work dir>/{SUMMARY_FILE}); the plot '
        'goes next to it as .png')
    parser.add_argument('--title', help='title of the plot')
    parser.add_argument(
        '--allow-missing',
        action='store_true',
        help='summarise although seeds are missing (the table names them) '
        'instead of refusing')


def _stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


class _CfgOptions(CfgOptionsAction):
    """``--cfg-options`` that also keeps the words as given
    (``raw_options``), to pass them on to the training and test tools."""

    def __call__(self,
                 parser: argparse.ArgumentParser,
                 namespace: argparse.Namespace,
                 values: Optional[Sequence[str]],
                 option_string: Optional[str] = None) -> None:
        super().__call__(parser, namespace, values, option_string)
        namespace.raw_options = [
            *getattr(namespace, 'raw_options', []), *(values or [])
        ]


# ---------------------------------------------------------------- run
def _ann_root(cfg: Any, entry_path: str) -> Optional[str]:
    """The ``ann_root`` of the dataset holding a benchmark entry (its
    config value, else its class's default)."""
    node = cfg
    for part in entry_path.split('.')[:-2]:
        node = node[int(part)] if isinstance(node, (list, tuple)) else \
            node[part]
    if node.get('ann_root'):
        return node['ann_root']
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmfewshot_det')):
        dataset_type = DATASETS.get(node.get('type'))
    if dataset_type is None:
        return None
    parameter = inspect.signature(dataset_type).parameters.get('ann_root')
    return parameter.default if parameter is not None else None


def check_split_folders(config: str, cfg: Any, seeds: Sequence[int]) -> None:
    """Refuse seeds whose split files were not written, before anything
    runs (the dataset would fail only when that seed's run starts).

    Raises:
        ConfigError: naming the config, the seed and the missing folder.
    """
    # refuses a config without K-shot split files
    probe = copy.deepcopy(cfg)
    probe[SPLIT_SEED_KEY] = seeds[0]
    apply_split_seed(probe)
    for entry_path, _ in benchmark_entries(cfg):
        ann_root = _ann_root(cfg, entry_path)
        if ann_root is None:
            continue
        for seed in seeds:
            folder = osp.join(ann_root, f'seed{seed}')
            if not osp.isdir(folder):
                raise ConfigError(
                    f'{config}: split seed {seed}: no folder {folder} (the '
                    f'ann_root of {entry_path.rsplit(".", 2)[0]}); write '
                    'the splits with tools/data/detection/'
                    'prepare_few_shot_split.py --seeds ...')


def plan_experiments(args: argparse.Namespace) -> List[Experiment]:
    """Load the configs and check them and their work dirs; then record
    the seeds of this call in each work dir's plan (unless ``--dry-run``).

    Raises:
        ConfigError: for a config that cannot run over seeds.
        MultiSeedError: for a work dir that holds runs of another config.
    """
    experiments = []
    for config in args.configs:
        cfg = load_config(config, args.cfg_options)
        check_split_folders(config, cfg, args.seeds)
        if len(args.configs) == 1:
            work_dir = args.work_dir or osp.join('work_dirs', _stem(config))
        else:
            work_dir = osp.join(args.work_dir, _stem(config))
        digest = config_digest(cfg)
        seeds = list(args.seeds)
        plan_path = osp.join(work_dir, PLAN_FILE)
        if osp.isfile(plan_path):
            with open(plan_path) as f:
                plan = json.load(f)
            if plan.get('config_digest') != digest:
                raise MultiSeedError(
                    f'{work_dir} holds the seeds of another config '
                    f'({plan.get("config")} with --cfg-options '
                    f'{plan.get("cfg_options")}); use another --work-dir')
            seeds = sorted(set(seeds) | set(plan.get('seeds', [])))
        for seed in args.seeds:
            check_earlier_run(work_dir, seed, digest)
        experiments.append(Experiment(config, work_dir, digest, seeds))
    if not args.dry_run:
        for experiment, config in zip(experiments, args.configs):
            with atomic_write(osp.join(experiment.work_dir, PLAN_FILE)) as f:
                json.dump(
                    dict(
                        config=config,
                        config_digest=experiment.digest,
                        seeds=experiment.seeds,
                        cfg_options=args.raw_options),
                    f,
                    indent=2)
    return experiments


def check_earlier_run(work_dir: str, seed: int, digest: str) -> None:
    """Refuse a finished run in ``seed<s>/`` that is of another config or
    another seed (it would be overwritten or counted twice).

    Raises:
        MultiSeedError: naming the file.
    """
    path = osp.join(seed_folder(work_dir, seed), TEST_RESULTS_FILE)
    results, _ = read_test_results(path)
    if results is None:
        return
    if results['config_digest'] != digest:
        raise MultiSeedError(
            f'{path} is a run of another config ({results["config"]}, '
            f'digest {results["config_digest"]}, not {digest}); use another '
            '--work-dir or remove it')
    if results['split_seed'] != seed:
        raise MultiSeedError(f'{path} is a run of split seed '
                             f'{results["split_seed"]}, not {seed}; remove it')


def is_finished(experiment: Experiment, seed: int) -> bool:
    """Whether seed ``seed`` of ``experiment`` has a finished run of the
    same config (:func:`check_earlier_run` refused any other)."""
    results, _ = read_test_results(
        osp.join(seed_folder(experiment.work_dir, seed), TEST_RESULTS_FILE))
    return results is not None


def seed_command(args: argparse.Namespace, experiment: Experiment,
                 seed: int) -> str:
    """The shell command that trains and then tests one seed."""
    folder = seed_folder(experiment.work_dir, seed)
    config = experiment.config
    scripts = osp.join(ROOT, 'tools', 'detection')
    options = ['--cfg-options', f'{SPLIT_SEED_KEY}={seed}', *args.raw_options]
    train_args = []
    if args.train_seed == 'split':
        train_args += ['--seed', str(seed)]
    if osp.isfile(osp.join(folder, 'last_checkpoint')):
        # an interrupted run goes on from its last checkpoint
        train_args.append('--resume')
    # the checkpoint to test is the last one of the training run
    checkpoint = '"$(cat ' + shlex.quote(osp.join(folder,
                                                  'last_checkpoint')) + ')"'
    if args.launcher == 'none':
        train = [
            sys.executable,
            osp.join(scripts, 'train.py'), config, '--work-dir', folder
        ]
        test = [sys.executable, osp.join(scripts, 'test.py'), config]
        test_args = ['--work-dir', folder]
    elif args.launcher == 'pytorch':
        train = [
            'bash',
            osp.join(scripts, 'dist_train.sh'), config,
            str(args.gpus), '--work-dir', folder
        ]
        test = ['bash', osp.join(scripts, 'dist_test.sh'), config]
        test_args = [str(args.gpus), '--work-dir', folder]
    else:
        job = f'{_stem(config)}_seed{seed}'
        # the variables of tools/slurm_run.sh: tasks in all and per node
        per_node = os.environ.get('GPUS_PER_NODE', str(min(args.gpus, 8)))
        slurm_env = [f'GPUS={args.gpus}', f'GPUS_PER_NODE={per_node}']
        train = slurm_env + [
            'bash',
            osp.join(scripts, 'slurm_train.sh'), args.partition, job, config,
            folder
        ]
        test = slurm_env + [
            'bash',
            osp.join(scripts, 'slurm_test.sh'), args.partition, job, config
        ]
        test_args = ['--work-dir', folder]
    return (f'{shlex.join(train + train_args + options)} && '
            f'{shlex.join(test)} {checkpoint} '
            f'{shlex.join(test_args + options)}')


def launch(args: argparse.Namespace, pending: List[tuple]) -> List[str]:
    """Run the pending seeds; returns a line for every failed one."""
    env = dict(os.environ, PYTHON=sys.executable)
    failures = []
    if args.launcher == 'slurm':
        jobs = []
        for experiment, seed, command in pending:
            folder = seed_folder(experiment.work_dir, seed)
            os.makedirs(folder, exist_ok=True)
            log_path = osp.join(folder, 'multi_seed.log')
            print(
                f'submitting seed {seed} of {experiment.config} '
                f'(log: {log_path})',
                flush=True)
            log = open(log_path, 'w')
            jobs.append((experiment, seed, log_path, log,
                         subprocess.Popen(['bash', '-c', command],
                                          stdout=log,
                                          stderr=subprocess.STDOUT,
                                          env=env)))
        for experiment, seed, log_path, log, job in jobs:
            status = job.wait()
            log.close()
            if status:
                failures.append(f'seed {seed} of {experiment.config} failed '
                                f'(exit status {status}, log: {log_path})')
        return failures
    for index, (experiment, seed, command) in enumerate(pending, 1):
        print(
            f'==> [{index}/{len(pending)}] seed {seed} of '
            f'{experiment.config} in {seed_folder(experiment.work_dir, seed)}',
            flush=True)
        status = subprocess.run(['bash', '-c', command], env=env).returncode
        if status:
            failures.append(f'seed {seed} of {experiment.config} failed '
                            f'(exit status {status}); its log is in '
                            f'{seed_folder(experiment.work_dir, seed)}')
    return failures


def run(args: argparse.Namespace) -> int:
    experiments = plan_experiments(args)
    pending = []
    for experiment in experiments:
        for seed in args.seeds:
            if is_finished(experiment, seed):
                print(
                    f'seed {seed} of {experiment.config}: finished, '
                    'skipped',
                    flush=True)
            else:
                pending.append(
                    (experiment, seed, seed_command(args, experiment, seed)))
    if args.dry_run:
        for _, _, command in pending:
            print(command)
        return 0
    failures = launch(args, pending)
    for line in failures:
        print(f'{TOOL}: {line}', file=sys.stderr, flush=True)
    if len(experiments) == 1:
        out = args.out or osp.join(experiments[0].work_dir, SUMMARY_FILE)
    else:
        out = args.out or osp.join(args.work_dir, SUMMARY_FILE)
    title = args.title or osp.basename(
        osp.normpath(args.work_dir or experiments[0].work_dir))
    with user_errors(TOOL):
        report([
            read_seed_runs(e.work_dir, e.seeds, e.digest) for e in experiments
        ], out, title, args.allow_missing)
    return 1 if failures else 0


# ---------------------------------------------------------------- aggregate
def plan_seeds(work_dir: str) -> List[int]:
    """The seeds recorded by ``run`` in a work dir.

    Raises:
        MultiSeedError: when the work dir has no plan.
    """
    plan_path = osp.join(work_dir, PLAN_FILE)
    if not osp.isfile(plan_path):
        raise MultiSeedError(
            f'{work_dir}: which seeds belong to it is unknown (no '
            f'{PLAN_FILE} of multi_seed.py run); give --seeds')
    with open(plan_path) as f:
        return list(json.load(f)['seeds'])


def aggregate(args: argparse.Namespace) -> int:
    experiments = []
    for work_dir in args.work_dirs:
        if not osp.isdir(work_dir):
            raise FileNotFoundError(f'work dir not found: {work_dir}')
        seeds = args.seeds if args.seeds is not None else plan_seeds(work_dir)
        experiments.append(read_seed_runs(work_dir, seeds))
    seen: Dict[str, str] = {}
    for experiment in experiments:
        other = seen.setdefault(experiment.config_digest, experiment.work_dir)
        if other != experiment.work_dir:
            raise MultiSeedError(
                f'{other} and {experiment.work_dir} hold runs of the same '
                'config: a seed would be counted twice')
    out = args.out or osp.join(args.work_dirs[0], SUMMARY_FILE)
    title = args.title or osp.basename(
        osp.normpath(args.work_dirs[0] if len(args.work_dirs) ==
                     1 else osp.dirname(osp.abspath(out))))
    report(experiments, out, title, args.allow_missing)
    return 0


def report(experiments: list, out: str, title: str,
           allow_missing: bool) -> None:
    """Print the table, write the summary json and the plot."""
    if not allow_missing:
        check_complete(experiments)
    summary = summarize(experiments)
    seeds = sorted({s for e in summary['experiments'] for s in e['seeds']})
    plot_path = None
    if plot_metric_name(summary) is not None:
        plot_path = osp.splitext(out)[0] + '.png'
        plot_summary(
            summary, plot_path,
            f'{title}: AP50 over {len(seeds)} split seeds (mean, 95% CI)')
    summary['plot'] = plot_path
    write_summary(summary, out)
    print(f'AP by class split over split seeds {_ranges(seeds)} (%, mean ± '
          '95% CI, Student t):')
    print(format_summary_table(summary))
    plotted = f', plot to {plot_path}' if plot_path else ''
    print(f'summary written to {out}{plotted}', flush=True)


def _ranges(seeds: Sequence[int]) -> str:
    """``0-4, 7`` for seeds 0, 1, 2, 3, 4, 7."""
    parts: List[str] = []
    start = previous = None
    for seed in list(seeds) + [None]:
        if seed is not None and previous is not None and seed == previous + 1:
            previous = seed
            continue
        if start is not None:
            parts.append(
                str(start) if start == previous else f'{start}-{previous}')
        start = previous = seed
    return ', '.join(parts)


# ---------------------------------------------------------------- compare
def compare(args: argparse.Namespace) -> int:
    if not osp.isfile(args.summary):
        raise FileNotFoundError(f'summary not found: {args.summary}')
    with open(args.summary) as f:
        summary = json.load(f)
    runs = []
    for path in args.results:
        results, why = read_test_results(path)
        if results is None:
            raise MultiSeedError(f'{path}: not a finished run ({why})')
        runs.append(results)
    seeds = sorted({s for e in summary['experiments'] for s in e['seeds']})
    print(f'this run against {len(seeds)} split seeds of '
          f'{args.summary} (AP50 in %; mean ± 95% CI of the mean; one run: '
          'where 95% of single runs fall):')
    print(format_comparison_table(runs, summary))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    with user_errors(TOOL):
        if args.command == 'run':
            return run(args)
        if args.command == 'compare':
            return compare(args)
        return aggregate(args)


if __name__ == '__main__':
    sys.exit(main())
