"""Many random few-shot sets, one table: the identity of a test run, the
runs of a many-seed experiment, and their mean and confidence interval.

A many-seed experiment runs one fine-tuning config once per K-shot split
seed, each run in ``<work_dir>/seed<s>/`` (``tools/detection/multi_seed.py``
trains and tests them). ``tools/detection/test.py`` writes
``test_results.json`` with the identity of the run beside its metrics: a
digest of the config without what differs between the seeds of one
experiment (:func:`config_digest`), the split seed, the number of shots, the
training seed and the class splits. From these files :func:`read_seed_runs`
gathers an experiment, refusing runs of another config or another seed, and
:func:`summarize` reports, per number of shots, class split and metric, the
mean over seeds with its 95% confidence interval.

The interval is Student's t interval of the mean,
``t(0.975, n - 1) * std / sqrt(n)`` with the sample standard deviation
(``n - 1`` in its denominator). A many-seed experiment has few runs (5 to
30 seeds), where the normal quantile 1.96 would understate the interval
(by 29% for 5 seeds, as ``t(0.975, 4) = 2.78``); the episodic meta-test of
the classification side averages over hundreds of tasks, where the two
agree and it uses 1.96. Next to it, ``one_run`` is the half-width of the
95% prediction interval of a single further run,
``t(0.975, n - 1) * std * sqrt(1 + 1 / n)``: how far one run of the same
config may fall from the mean.
"""
import copy
import hashlib
import json
import math
import os.path as osp
import textwrap
from typing import (Any, Dict, Iterable, List, NamedTuple, Optional, Sequence,
                    Tuple)

from mmengine.config import Config
from terminaltables import AsciiTable

from mmfewshot.detection.datasets.split_seed import (SPLIT_SEED_KEY,
                                                     benchmark_entries)
from mmfewshot.utils.atomic import atomic_write
from mmfewshot.utils.errors import InputError
from .results import ALL, metrics_by_split

#: The file in which the detection test tool writes the metrics of a run.
TEST_RESULTS_FILE = 'test_results.json'
CONFIDENCE = 0.95
# Keys of a config that differ between the runs of one experiment (or do
# not change what a run computes): left out of its digest.
RUN_KEYS = ('work_dir', 'launcher', 'resume', SPLIT_SEED_KEY)
# The metrics of the table and the plot: display name -> the names the
# VOC and COCO metrics give it.
TABLE_METRICS = (('AP50', ('AP50', 'bbox_mAP_50')), ('AP', ('mAP',
                                                            'bbox_mAP')))
# What test_results.json must hold to count as a finished run.
IDENTITY_KEYS = ('config_digest', 'split_seed', 'num_shots', 'class_splits')


class MultiSeedError(InputError):
    """Runs of a many-seed experiment that cannot be summarised: missing,
    of another config, or of a seed met twice."""


def seed_folder(work_dir: str, seed: int) -> str:
    """The work dir of the run of split seed ``seed``."""
    return osp.join(work_dir, f'seed{seed}')


def _stable(value: Any) -> str:
    """A JSON stand-in for a non-JSON config value that is the same in
    every process (no memory addresses)."""
    module = getattr(value, '__module__', None)
    name = getattr(value, '__qualname__', None)
    if module and name:
        return f'{module}.{name}'
    return type(value).__name__


def config_digest(cfg: Any) -> str:
    """A digest of a config that is equal for the runs of one experiment.

    Left out: the work dir, launcher and resume settings, ``split_seed``,
    the ``seed`` of every benchmark ``ann_cfg`` entry and
    ``randomness.seed`` (the seeds an experiment varies). Everything else,
    ``--cfg-options`` included, counts: a run of the same config file with
    another learning rate or base model (``load_from``) is another config.

    Args:
        cfg: A loaded config (with its ``--cfg-options``), not changed.

    Returns:
        16 hex digits.
    """
    data = cfg.to_dict() if isinstance(cfg, Config) else copy.deepcopy(
        dict(cfg))
    for key in RUN_KEYS:
        data.pop(key, None)
    if isinstance(data.get('randomness'), dict):
        data['randomness'].pop('seed', None)
    for _, entry in benchmark_entries(data):
        entry.pop('seed', None)
    text = json.dumps(data, sort_keys=True, default=_stable)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def mean_interval(values: Sequence[float],
                  confidence: float = CONFIDENCE) -> Dict[str, Any]:
    """Mean of runs with its Student t confidence interval.

    Args:
        values: One value per run.
        confidence: Confidence level of the intervals.

    Returns:
        ``n``, ``mean``, ``std`` (sample standard deviation), ``ci`` (the
        half-width of the confidence interval of the mean), ``low`` /
        ``high`` (its ends) and ``one_run`` (the half-width of the
        prediction interval of one further run); the last five are None
        with fewer than two runs.
    """
    n = len(values)
    if n == 0:
        raise ValueError('mean_interval needs at least one value')
    mean = math.fsum(values) / n
    result: Dict[str, Any] = dict(
        n=n, mean=mean, std=None, ci=None, low=None, high=None, one_run=None)
    if n > 1:
        from scipy import stats
        std = math.sqrt(math.fsum((v - mean)**2 for v in values) / (n - 1))
        quantile = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
        ci = quantile * std / math.sqrt(n)
        result.update(
            std=std,
            ci=ci,
            low=mean - ci,
            high=mean + ci,
            one_run=quantile * std * math.sqrt(1 + 1 / n))
    return result


class SeedRuns(NamedTuple):
    """The finished runs of one experiment (one config, many seeds)."""

    work_dir: str
    config: str
    config_digest: str
    num_shots: Optional[int]
    class_splits: Tuple[str, ...]
    # seed -> the run's test_results.json
    results: Dict[int, dict]
    missing: Tuple[int, ...]


def read_test_results(path: str) -> Tuple[Optional[dict], str]:
    """A run's ``test_results.json``, if it is a finished run.

    Returns:
        ``(results, '')``, or ``(None, why)`` when the file is missing,
        cannot be parsed, or lacks the metrics or the run identity (a
        file of an interrupted write or of an older ``test.py``).
    """
    if not osp.isfile(path):
        return None, 'not found'
    try:
        with open(path) as f:
            results = json.load(f)
    except (OSError, ValueError) as error:
        return None, f'unreadable ({error})'
    if not isinstance(results, dict) or not results.get('metrics'):
        return None, 'holds no metrics'
    lacking = [key for key in IDENTITY_KEYS if key not in results]
    if lacking:
        return None, (f'lacks {", ".join(lacking)} (written by an older '
                      'test.py)')
    return results, ''


def read_seed_runs(work_dir: str,
                   seeds: Sequence[int],
                   expected_digest: Optional[str] = None) -> SeedRuns:
    """Gather the runs ``<work_dir>/seed<s>/test_results.json`` of
    ``seeds``.

    A seed whose file is missing or unfinished is listed as missing.

    Args:
        work_dir: The experiment's work dir.
        seeds: The split seeds it should hold, each once.
        expected_digest: The :func:`config_digest` the runs must have;
            without one they must all have the same.

    Returns:
        The finished runs and the missing seeds.

    Raises:
        MultiSeedError: naming the file, if a seed is given twice, a run is
            of another split seed than its folder says (the seed would be
            counted twice), of another config, or if no seed is finished.
    """
    repeated = sorted({s for s in seeds if list(seeds).count(s) > 1})
    if repeated:
        raise MultiSeedError(f'seed(s) {_seed_list(repeated)} given twice')
    results: Dict[int, dict] = {}
    missing: List[int] = []
    for seed in sorted(seeds):
        path = osp.join(seed_folder(work_dir, seed), TEST_RESULTS_FILE)
        run, _ = read_test_results(path)
        if run is None:
            missing.append(seed)
            continue
        if run['split_seed'] != seed:
            raise MultiSeedError(
                f'{path} is a run of split seed {run["split_seed"]}, not '
                f'{seed}: the folder seed{seed} holds another seed\'s run, '
                'which would be counted twice')
        results[seed] = run
    if not results:
        raise MultiSeedError(
            f'{work_dir}: no finished run of seed(s) {_seed_list(seeds)} '
            f'(no seed<s>/{TEST_RESULTS_FILE})')
    first_seed, first = next(iter(results.items()))
    reference = expected_digest or first['config_digest']
    for seed, run in results.items():
        if run['config_digest'] != reference:
            other = f'{first["config"]} (seed {first_seed})' \
                if expected_digest is None else 'this experiment'
            raise MultiSeedError(
                f'{osp.join(seed_folder(work_dir, seed), TEST_RESULTS_FILE)}'
                f' is a run of another config ({run["config"]}, digest '
                f'{run["config_digest"]}) than {other} (digest '
                f'{reference}); runs of one experiment share a config and '
                'differ only in their seeds')
    return SeedRuns(
        work_dir=work_dir,
        config=first['config'],
        config_digest=reference,
        num_shots=first['num_shots'],
        class_splits=tuple(first['class_splits']),
        results=results,
        missing=tuple(missing))


def check_complete(experiments: Iterable[SeedRuns]) -> None:
    """Refuse experiments with missing seeds (a mean over fewer runs than
    asked for is never taken silently).

    Raises:
        MultiSeedError: naming the work dir and the missing seeds.
    """
    for experiment in experiments:
        if experiment.missing:
            raise MultiSeedError(
                f'{experiment.work_dir}: no finished run of seed(s) '
                f'{_seed_list(experiment.missing)} (no complete '
                f'seed<s>/{TEST_RESULTS_FILE}); finish them (multi_seed.py '
                'run skips the finished seeds) or pass --allow-missing')


def summarize(experiments: Sequence[SeedRuns],
              confidence: float = CONFIDENCE) -> Dict[str, Any]:
    """Mean and confidence interval over seeds of every metric.

    Args:
        experiments: One experiment per number of shots (e.g. the 1-shot
            and the 5-shot config of one method).
        confidence: Confidence level of the intervals.

    Returns:
        A JSON-ready dict: ``confidence``, ``interval`` (how it is
        computed), ``experiments`` (work dir, config, shots, seeds, missing
        seeds of each) and ``rows``, one per experiment, class split (``ALL``
        first) and metric, with ``values`` (per seed, in percent) and the
        fields of :func:`mean_interval` (in percent).

    Raises:
        MultiSeedError: If two experiments have the same number of shots
            (a table holds one experiment per shot).
    """
    experiments = sorted(experiments, key=_shots_order)
    by_shots: Dict[Any, str] = {}
    for experiment in experiments:
        key = json.dumps(experiment.num_shots)
        if key in by_shots:
            raise MultiSeedError(
                f'{by_shots[key]} and {experiment.work_dir} both hold runs '
                f'of {experiment.num_shots} shot(s); one table holds one '
                'experiment per number of shots')
        by_shots[key] = experiment.work_dir
    rows = []
    for experiment in experiments:
        seeds = sorted(experiment.results)
        grouped = {
            seed:
            metrics_by_split(experiment.results[seed]['metrics'],
                             experiment.class_splits)
            for seed in seeds
        }
        for group in (ALL, *experiment.class_splits):
            names = [
                name for name in grouped[seeds[0]][group]
                if all(name in grouped[s][group] for s in seeds)
            ]
            for name in names:
                values = [100 * grouped[s][group][name] for s in seeds]
                rows.append(
                    dict(
                        num_shots=experiment.num_shots,
                        classes=group,
                        metric=name,
                        seeds=seeds,
                        values=values,
                        **mean_interval(values, confidence)))
    return dict(
        confidence=confidence,
        interval=(f'{confidence:.0%} Student t interval of the mean over '
                  'seeds: t * std / sqrt(n), t the quantile of t(n - 1), '
                  'std the sample standard deviation; one_run: the '
                  'prediction interval of one further run, t * std * '
                  'sqrt(1 + 1 / n); values in percent'),
        experiments=[
            dict(
                work_dir=e.work_dir,
                config=e.config,
                config_digest=e.config_digest,
                num_shots=e.num_shots,
                seeds=sorted(e.results),
                missing_seeds=list(e.missing)) for e in experiments
        ],
        rows=rows)


def _shots_order(experiment: SeedRuns) -> Tuple[int, int, str]:
    """Experiments by number of shots (those with a list of shots last)."""
    shots = experiment.num_shots
    if isinstance(shots, int):
        return 0, shots, ''
    return 1, 0, json.dumps(shots)


def _seed_list(seeds: Iterable[int]) -> str:
    return ', '.join(str(s) for s in seeds)


def _find_row(summary: Dict[str, Any], num_shots: Any, classes: str,
              names: Sequence[str]) -> Optional[dict]:
    for row in summary['rows']:
        if (row['num_shots'] == num_shots and row['classes'] == classes
                and row['metric'] in names):
            return row
    return None


def _cell(row: Optional[dict]) -> Tuple[str, str]:
    """``mean ± ci`` and ``std`` of a row, one decimal."""
    if row is None:
        return '', ''
    if row['ci'] is None:
        return f'{row["mean"]:.1f}', ''
    return f'{row["mean"]:.1f} ± {row["ci"]:.1f}', f'{row["std"]:.1f}'


def format_summary_table(summary: Dict[str, Any]) -> str:
    """The summary as a text table: per number of shots and class split,
    the runs, and AP50 and AP as ``mean ± 95% CI`` with their standard
    deviations (in percent); an experiment with missing seeds gets a row
    naming them."""
    header = ['shots', 'classes', 'seeds']
    for display, _ in TABLE_METRICS:
        header += [f'{display} (mean ± CI)', 'std']
    table = [header]
    for experiment in summary['experiments']:
        shots = experiment['num_shots']
        groups = []
        for row in summary['rows']:
            if row['num_shots'] == shots and row['classes'] not in groups:
                groups.append(row['classes'])
        for group in groups:
            line = [str(shots), group, str(len(experiment['seeds']))]
            for _, names in TABLE_METRICS:
                line += _cell(_find_row(summary, shots, group, names))
            table.append(line)
        if experiment['missing_seeds']:
            table.append([
                str(shots), 'missing seeds: ' +
                _seed_list(experiment['missing_seeds']), '0'
            ] + [''] * (2 * len(TABLE_METRICS)))
    return AsciiTable(table).table


def format_comparison_table(runs: Sequence[dict], summary: Dict[str,
                                                                Any]) -> str:
    """Single runs next to a many-seed summary of the same recipe.

    Every run (a ``test_results.json``) is matched to the summary's rows of
    its number of shots; per class split the table has the run's AP50, the
    summary's ``mean ± CI`` and the range ``mean ± one_run`` that 95% of
    single runs fall into, and whether the run is inside it.

    Raises:
        MultiSeedError: If the summary has no row for a run's shots.
    """
    table = [[
        'shots', 'classes', 'this run', 'mean ± CI', 'one run (95%)', 'inside'
    ]]
    names = TABLE_METRICS[0][1]
    for run in runs:
        shots = run['num_shots']
        groups = metrics_by_split(run['metrics'], run['class_splits'])
        matched = False
        for group, values in groups.items():
            name = next((n for n in names if n in values), None)
            row = _find_row(summary, shots, group, names)
            if name is None or row is None:
                continue
            matched = True
            value = 100 * values[name]
            if row['one_run'] is None:
                table.append([
                    str(shots), group, f'{value:.1f}', f'{row["mean"]:.1f}',
                    '', ''
                ])
                continue
            low = row['mean'] - row['one_run']
            high = row['mean'] + row['one_run']
            table.append([
                str(shots), group, f'{value:.1f}',
                f'{row["mean"]:.1f} ± {row["ci"]:.1f}',
                f'{low:.1f} - {high:.1f}',
                'yes' if low <= value <= high else 'NO'
            ])
        if not matched:
            raise MultiSeedError(
                f'the summary has no AP50 of {shots} shot(s) for the run of '
                f'{run["config"]}')
    return AsciiTable(table).table


def plot_metric_name(summary: Dict[str, Any]) -> Optional[str]:
    """The AP50 metric of the summary (VOC ``AP50``, COCO
    ``bbox_mAP_50``), None when it has none."""
    names = {row['metric'] for row in summary['rows']}
    for name in TABLE_METRICS[0][1]:
        if name in names:
            return name
    return None


def plot_summary(summary: Dict[str, Any], path: str, title: str) -> None:
    """Draw AP50 against the number of shots, one line per class split,
    the confidence interval of the mean as a band, to a PNG file (written
    completely or not at all).

    Args:
        summary: What :func:`summarize` returns.
        path: The PNG file.
        title: The plot's title.
    """
    # the object API of matplotlib: no pyplot state, no global backend
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metric = plot_metric_name(summary)
    figure = Figure(figsize=(5.0, 3.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    groups: List[str] = []
    for row in summary['rows']:
        if row['metric'] == metric and row['classes'] not in groups:
            groups.append(row['classes'])
    all_shots = set()
    for group in groups:
        rows = sorted((row for row in summary['rows']
                       if row['metric'] == metric and row['classes'] == group
                       and isinstance(row['num_shots'], int)),
                      key=lambda row: row['num_shots'])
        shots = [row['num_shots'] for row in rows]
        all_shots.update(shots)
        means = [row['mean'] for row in rows]
        cis = [row['ci'] or 0.0 for row in rows]
        line, = axes.plot(shots, means, marker='o', label=group)
        axes.errorbar(
            shots,
            means,
            yerr=cis,
            fmt='none',
            capsize=3,
            color=line.get_color())
        axes.fill_between(
            shots, [m - c for m, c in zip(means, cis)],
            [m + c for m, c in zip(means, cis)],
            color=line.get_color(),
            alpha=0.2,
            linewidth=0)
    axes.set_xticks(sorted(all_shots))
    axes.set_xlabel('shots (instances per class)')
    axes.set_ylabel(f'{TABLE_METRICS[0][0]} (%)')
    # wrapped to the width of the figure (about 60 characters at 9 pt)
    axes.set_title(textwrap.fill(title, 60), fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    with atomic_write(path, 'wb') as f:
        figure.savefig(f, format='png')


def write_summary(summary: Dict[str, Any], path: str) -> None:
    """Write the summary as JSON, completely or not at all."""
    with atomic_write(path) as f:
        json.dump(summary, f, indent=2)
