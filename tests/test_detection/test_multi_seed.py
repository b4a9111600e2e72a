"""Many random few-shot sets: the split seed of a config
(``split_seed``), the statistics over seeds and ``tools/detection/
multi_seed.py`` on fake ``test_results.json`` trees (aggregation, bad
inputs, skipping finished seeds, the launch commands) and with stand-in
train/test scripts. The tiny real run (slow) is in
``test_det_tools_e2e.py``."""
import json
import math
import shlex
import textwrap
from pathlib import Path

import pytest
from mmengine.config import Config

from mmfewshot.detection.apis import (config_digest, mean_interval,
                                      metrics_by_split)
from mmfewshot.detection.datasets import (apply_split_seed, benchmark_entries,
                                          few_shot_setting)
from mmfewshot.utils import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
TOOL = 'tools/detection/multi_seed.py'
TOY = ROOT / 'configs/detection'
ONE_SHOT = str(TOY / 'tfa/toy/tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py')
FIVE_SHOT = str(TOY / 'tfa/toy/tfa_tiny-r18_fpn_toy_5shot-fine-tuning.py')
# the toy fine-tuning configs of every detector: each wraps its K-shot set
# differently (plain, two-branch, query-aware, n-way k-shot)
FINE_TUNING = [
    ONE_SHOT,
    str(TOY / 'fsce/toy/fsce_tiny-r18_fpn_toy_1shot-fine-tuning.py'),
    str(TOY / 'mpsr/toy/mpsr_tiny-r18_fpn_toy_1shot-fine-tuning.py'),
    str(TOY / 'meta_rcnn/toy/meta-rcnn_tiny-r18_c4_toy_1shot-fine-tuning.py'),
    str(TOY / 'fsdetview/toy/fsdetview_tiny-r18_c4_toy_1shot-fine-tuning.py'),
    str(TOY / 'attention_rpn/toy/'
        'attention-rpn_tiny-r18_c4_toy_1shot-fine-tuning.py'),
]
# t(0.975, 4) and t(0.975, 3), from a table of Student's t
T4 = 2.7764451051977987
T3 = 3.182446305284263


@pytest.fixture(scope='module')
def tool(load_script):
    return load_script(TOOL)


# ------------------------------------------------------------ split seed
@pytest.mark.parametrize('path', FINE_TUNING)
def test_split_seed_reaches_the_k_shot_set_of_every_detector(path):
    cfg = load_config(path, dict(split_seed=3))
    changed = apply_split_seed(cfg)
    assert changed and all('ann_cfg' in key for key in changed)
    entries = benchmark_entries(cfg)
    assert [entry['seed'] for _, entry in entries] == [3] * len(entries)
    assert few_shot_setting(cfg) == dict(split_seed=3, num_shots=1)


def test_without_split_seed_the_config_keeps_its_seed():
    cfg = load_config(ONE_SHOT)
    assert cfg.split_seed is None
    assert apply_split_seed(cfg) == []
    assert few_shot_setting(cfg) == dict(split_seed=0, num_shots=1)
    benchmark = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='FewShotVOCDefaultDataset',
                    ann_cfg=[dict(method='TFA', setting='SPLIT1_5SHOT')]))))
    # the published split has no seed
    assert few_shot_setting(benchmark) == dict(split_seed=None, num_shots=5)


def test_split_seed_of_a_config_without_split_files_is_refused():
    base = str(TOY / 'tfa/toy/tfa_tiny-r18_fpn_toy_base-training.py')
    cfg = load_config(base, dict(split_seed=1))
    with pytest.raises(
            ConfigError,
            match='split_seed=1: the config reads no '
            'K-shot split files'):
        apply_split_seed(cfg)
    cfg.split_seed = -1
    with pytest.raises(ConfigError, match='non-negative int'):
        apply_split_seed(cfg)


def test_config_digest_ignores_only_the_seeds():
    digest = config_digest(load_config(ONE_SHOT))
    for options in (dict(split_seed=4), {
            'randomness.seed': 7
    }, dict(work_dir='elsewhere')):
        assert config_digest(load_config(ONE_SHOT, options)) == digest
    for options in ({
            'optim_wrapper.optimizer.lr': 0.1
    }, dict(load_from='other.pth')):
        assert config_digest(load_config(ONE_SHOT, options)) != digest
    assert config_digest(load_config(FIVE_SHOT)) != digest


# ------------------------------------------------------------ statistics
def test_mean_interval_by_hand():
    values = [40.0, 42.0, 44.0, 46.0, 48.0]
    result = mean_interval(values)
    # sample std: sqrt((16 + 4 + 0 + 4 + 16) / 4) = sqrt(10)
    std = math.sqrt(10)
    assert result['n'] == 5 and result['mean'] == pytest.approx(44.0)
    assert result['std'] == pytest.approx(std)
    assert result['ci'] == pytest.approx(T4 * std / math.sqrt(5))
    assert result['ci'] == pytest.approx(3.9265, abs=1e-4)
    assert result['low'] == pytest.approx(44.0 - result['ci'])
    assert result['one_run'] == pytest.approx(T4 * std * math.sqrt(1.2))
    single = mean_interval([51.0])
    assert single['mean'] == 51.0 and single['ci'] is None


# ------------------------------------------------------------ fake trees
SPLITS = ['BASE_CLASSES', 'NOVEL_CLASSES']


def voc_metrics(all_ap50, base_ap50, novel_ap50):
    """Metrics as FewShotVOCMetric names them (fractions)."""
    metrics = {}
    for split, value in (('', all_ap50), ('BASE_CLASSES_', base_ap50),
                         ('NOVEL_CLASSES_', novel_ap50)):
        metrics[f'pascal_voc/{split}mAP'] = value
        metrics[f'pascal_voc/{split}AP50'] = value
    return metrics


def write_run(work_dir,
              seed,
              novel,
              shots=1,
              digest='abc',
              split_seed=None,
              config='cfg_1shot.py'):
    folder = Path(work_dir) / f'seed{seed}'
    folder.mkdir(parents=True, exist_ok=True)
    results = dict(
        config=config,
        checkpoint=str(folder / 'iter_10.pth'),
        config_digest=digest,
        split_seed=seed if split_seed is None else split_seed,
        num_shots=shots,
        train_seed=seed,
        class_splits=SPLITS,
        metrics=voc_metrics(0.7, 0.8, novel),
        table=[])
    (folder / 'test_results.json').write_text(json.dumps(results))


NOVEL_1SHOT = [0.30, 0.40, 0.35, 0.45, 0.50]
NOVEL_5SHOT = [0.50, 0.55, 0.60, 0.52, 0.58]


@pytest.fixture
def tree(tmp_path):
    one, five = tmp_path / 'one', tmp_path / 'five'
    for seed, (a, b) in enumerate(zip(NOVEL_1SHOT, NOVEL_5SHOT)):
        write_run(one, seed, a)
        write_run(five, seed, b, shots=5, digest='def', config='cfg_5shot.py')
    return tmp_path


def assert_one_line_error(status, err, *expected):
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith('multi_seed: error: '), err
    for text in expected:
        assert text in lines[0], err


def test_aggregate_table_json_and_plot(tree, tool, run_tool, capsys):
    out = tree / 'summary.json'
    status, stdout, err = run_tool(tool, [
        'aggregate',
        str(tree / 'five'),
        str(tree / 'one'), '--num-seeds', '5', '--out',
        str(out)
    ], capsys)
    assert status == 0, err
    summary = json.loads(out.read_text())
    rows = {
        (r['num_shots'], r['classes'], r['metric']): r
        for r in summary['rows']
    }
    novel = rows[(1, 'NOVEL_CLASSES', 'AP50')]
    values = [100 * v for v in NOVEL_1SHOT]
    mean = sum(values) / 5
    std = math.sqrt(sum((v - mean)**2 for v in values) / 4)
    assert novel['values'] == pytest.approx(values)
    assert novel['seeds'] == [0, 1, 2, 3, 4]
    assert novel['mean'] == pytest.approx(40.0)
    assert novel['std'] == pytest.approx(std)
    assert novel['ci'] == pytest.approx(T4 * std / math.sqrt(5))
    assert rows[(5, 'NOVEL_CLASSES', 'AP50')]['mean'] == pytest.approx(55.0)
    assert rows[(1, 'BASE_CLASSES', 'mAP')]['std'] == pytest.approx(0.0)
    # experiments by shots, ALL first
    assert [e['num_shots'] for e in summary['experiments']] == [1, 5]
    assert [r['classes'] for r in summary['rows']
            ][:6:2] == ['ALL', 'BASE_CLASSES', 'NOVEL_CLASSES']
    plot = Path(summary['plot'])
    assert plot == tree / 'summary.png'
    assert plot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    table = [line for line in stdout.splitlines() if line.startswith('|')]
    cells = [[c.strip() for c in line.split('|')[1:-1]] for line in table]
    assert cells[0] == [
        'shots', 'classes', 'seeds', 'AP50 (mean ± CI)', 'std',
        'AP (mean ± CI)', 'std'
    ]
    ci = T4 * std / math.sqrt(5)
    assert cells[3] == [
        '1', 'NOVEL_CLASSES', '5', f'40.0 ± {ci:.1f}', f'{std:.1f}',
        f'40.0 ± {ci:.1f}', f'{std:.1f}'
    ]
    assert [row[:2] for row in cells[4:]] == [['5', 'ALL'],
                                              ['5', 'BASE_CLASSES'],
                                              ['5', 'NOVEL_CLASSES']]
    assert 'split seeds 0-4' in stdout


def test_missing_seed_is_an_error_or_a_line_of_the_table(
        tree, tool, run_tool, capsys):
    (tree / 'one' / 'seed3' / 'test_results.json').unlink()
    # an interrupted write: not a finished run
    (tree / 'one' / 'seed1' / 'test_results.json').write_text('{"metr')
    out = tree / 'summary.json'
    argv = [
        'aggregate',
        str(tree / 'one'), '--num-seeds', '5', '--out',
        str(out)
    ]
    status, _, err = run_tool(tool, argv, capsys)
    assert_one_line_error(status, err, 'no finished run of seed(s) 1, 3',
                          '--allow-missing')
    assert not out.exists()
    status, stdout, err = run_tool(tool, argv + ['--allow-missing'], capsys)
    assert status == 0, err
    assert 'missing seeds: 1, 3' in stdout
    summary = json.loads(out.read_text())
    assert summary['experiments'][0]['missing_seeds'] == [1, 3]
    novel = [
        r for r in summary['rows']
        if r['classes'] == 'NOVEL_CLASSES' and r['metric'] == 'AP50'
    ][0]
    values = [30.0, 35.0, 50.0]
    std = math.sqrt(sum((v - 115 / 3)**2 for v in values) / 2)
    assert novel['n'] == 3 and novel['mean'] == pytest.approx(115 / 3)
    assert novel['ci'] == pytest.approx(4.302652729911275 * std / math.sqrt(3))


def test_run_of_another_config_is_refused(tree, tool, run_tool, capsys):
    write_run(tree / 'one', 2, 0.9, digest='zzz', config='other.py')
    status, _, err = run_tool(
        tool, ['aggregate', str(tree / 'one'), '--num-seeds', '5'], capsys)
    assert_one_line_error(status, err, 'seed2', 'another config', 'other.py')
    assert not (tree / 'one' / 'seeds_summary.json').exists()


def test_a_seed_twice_is_refused(tree, tool, run_tool, capsys):
    status, _, err = run_tool(
        tool,
        ['aggregate', str(tree / 'one'), '--seeds', '1', '1'], capsys)
    assert status == 2 and 'seed(s) [1] given twice' in err
    # the folder of seed 4 holds the run of seed 1
    write_run(tree / 'one', 4, 0.4, split_seed=1)
    status, _, err = run_tool(
        tool, ['aggregate', str(tree / 'one'), '--num-seeds', '5'], capsys)
    assert_one_line_error(status, err, 'seed4', 'split seed 1, not 4',
                          'counted twice')
    # the same experiment twice
    write_run(tree / 'one', 4, 0.5)
    status, _, err = run_tool(tool, [
        'aggregate',
        str(tree / 'one'),
        str(tree / 'one') + '/', '--num-seeds', '5', '--out',
        str(tree / 's.json')
    ], capsys)
    assert_one_line_error(status, err, 'same config')


def test_compare_places_one_run_against_the_seeds(tree, tool, run_tool,
                                                  capsys):
    out = tree / 'summary.json'
    assert run_tool(tool, [
        'aggregate',
        str(tree / 'one'), '--num-seeds', '5', '--out',
        str(out)
    ], capsys)[0] == 0
    write_run(tree / 'single', 0, 0.10)
    status, stdout, err = run_tool(tool, [
        'compare',
        str(tree / 'single' / 'seed0' / 'test_results.json'), '--summary',
        str(out)
    ], capsys)
    assert status == 0, err
    values = [100 * v for v in NOVEL_1SHOT]
    std = math.sqrt(sum((v - 40)**2 for v in values) / 4)
    one_run = T4 * std * math.sqrt(1.2)
    row = [line for line in stdout.splitlines() if 'NOVEL_CLASSES' in line]
    cells = [c.strip() for c in row[0].split('|')[1:-1]]
    assert cells[:3] == ['1', 'NOVEL_CLASSES', '10.0']
    assert cells[4] == f'{40 - one_run:.1f} - {40 + one_run:.1f}'
    assert cells[5] == 'NO'


def test_metrics_by_split_keeps_longer_split_names_apart():
    grouped = metrics_by_split(
        {
            'coco/bbox_mAP': 0.1,
            'coco/NOVEL_bbox_mAP': 0.2,
            'coco/NOVEL_CLASSES_bbox_mAP': 0.3,
            'coco/NOVEL_CLASSES_person_precision': 0.9
        }, ['NOVEL', 'NOVEL_CLASSES'])
    assert grouped == dict(
        ALL={'bbox_mAP': 0.1},
        NOVEL={'bbox_mAP': 0.2},
        NOVEL_CLASSES={'bbox_mAP': 0.3})


# ------------------------------------------------------------ run
@pytest.fixture
def run_cwd(tmp_path, monkeypatch):
    """A working directory with (empty) split folders of seeds 0-3."""
    for seed in range(4):
        (tmp_path / 'data/toy_det/few_shot_ann' /
         f'seed{seed}').mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dry_run_skips_finished_seeds_and_prints_the_commands(
        run_cwd, tool, run_tool, capsys):
    options = ['load_from=base.pth', 'train_cfg.max_iters=7']
    digest = config_digest(
        load_config(ONE_SHOT, {
            'load_from': 'base.pth',
            'train_cfg.max_iters': 7
        }))
    work_dir = run_cwd / 'sweep'
    write_run(work_dir, 1, 0.4, digest=digest)
    # an interrupted run: it resumes
    (work_dir / 'seed2').mkdir()
    (work_dir / 'seed2' / 'last_checkpoint').write_text('x/iter_3.pth')
    status, stdout, err = run_tool(tool, [
        'run', ONE_SHOT, '--seeds', '0', '1', '2', '--work-dir',
        str(work_dir), '--dry-run', '--cfg-options', *options
    ], capsys)
    assert status == 0, err
    lines = stdout.strip().splitlines()
    assert lines[0] == f'seed 1 of {ONE_SHOT}: finished, skipped'
    commands = lines[1:]
    assert len(commands) == 2
    for seed, command in zip((0, 2), commands):
        train, test = command.split(' && ')
        words = shlex.split(train)
        assert words[1].endswith('tools/detection/train.py')
        assert words[2] == ONE_SHOT
        assert words[words.index('--work-dir') + 1] == str(work_dir /
                                                           f'seed{seed}')
        assert words[words.index('--seed') + 1] == str(seed)
        assert ('--resume' in words) == (seed == 2)
        options_given = words[words.index('--cfg-options') + 1:]
        assert options_given == [f'split_seed={seed}', *options]
        test_words = shlex.split(test)
        assert test_words[1].endswith('tools/detection/test.py')
        assert f'"$(cat {work_dir}/seed{seed}/last_checkpoint)"' in test
        assert test_words[-len(options) -
                          1:] == [f'split_seed={seed}', *options]
    # a dry run writes nothing
    assert not (work_dir / 'multi_seed.json').exists()


def test_launch_commands_of_dist_and_slurm(run_cwd, tool, run_tool, capsys):
    argv = [
        'run', ONE_SHOT, FIVE_SHOT, '--num-seeds', '2', '--work-dir', 'sweep',
        '--dry-run', '--train-seed', 'config'
    ]
    status, stdout, err = run_tool(
        tool, argv + ['--launcher', 'pytorch', '--gpus', '4'], capsys)
    assert status == 0, err
    commands = stdout.strip().splitlines()
    assert len(commands) == 4
    train, test = (shlex.split(part) for part in commands[3].split(' && '))
    assert train[1].endswith('tools/detection/dist_train.sh')
    assert train[2:6] == [
        FIVE_SHOT, '4', '--work-dir',
        'sweep/tfa_tiny-r18_fpn_toy_5shot-fine-tuning/seed1'
    ]
    assert '--seed' not in train
    assert test[1].endswith('tools/detection/dist_test.sh')
    assert test[2:6] == [
        FIVE_SHOT, '$(cat sweep/tfa_tiny-r18_fpn_toy_5shot-fine-tuning/seed1/'
        'last_checkpoint)', '4', '--work-dir'
    ]
    status, stdout, err = run_tool(
        tool, argv + ['--launcher', 'slurm', '--partition', 'gpu'], capsys)
    assert status == 0, err
    train, test = (
        shlex.split(part)
        for part in stdout.strip().splitlines()[0].split(' && '))
    assert train[:2] == ['GPUS=1', 'GPUS_PER_NODE=1']
    train, test = train[2:], test[2:]
    assert train[1].endswith('tools/detection/slurm_train.sh')
    assert train[2:6] == [
        'gpu', 'tfa_tiny-r18_fpn_toy_1shot-fine-tuning_seed0', ONE_SHOT,
        'sweep/tfa_tiny-r18_fpn_toy_1shot-fine-tuning/seed0'
    ]
    assert test[1].endswith('tools/detection/slurm_test.sh')
    status, _, err = run_tool(tool, argv + ['--launcher', 'slurm'], capsys)
    assert status == 2 and '--partition' in err


def test_run_refuses_bad_inputs_before_running_anything(
        run_cwd, tool, run_tool, capsys):
    status, _, err = run_tool(
        tool, ['run', ONE_SHOT, '--num-seeds', '5', '--work-dir', 'sweep'],
        capsys)
    # no split files of seed 4
    assert_one_line_error(status, err, 'split seed 4',
                          'data/toy_det/few_shot_ann/seed4',
                          'prepare_few_shot_split.py')
    write_run(run_cwd / 'sweep', 0, 0.4, digest='other', config='x.py')
    status, _, err = run_tool(
        tool, ['run', ONE_SHOT, '--num-seeds', '2', '--work-dir', 'sweep'],
        capsys)
    assert_one_line_error(status, err, 'seed0', 'another config', 'x.py')
    status, _, err = run_tool(
        tool,
        ['run', ONE_SHOT, '--num-seeds', '2', '--cfg-options', 'split_seed=3'],
        capsys)
    assert status == 2 and 'the tool sets it' in err
    assert not list(run_cwd.glob('**/multi_seed.json'))


# stand-ins for tools/detection/{train,test}.py: they take the arguments
# of the real ones and write what the real ones write, without a model
FAKE_TRAIN = """
import os, sys
args = sys.argv[1:]
work_dir = args[args.index('--work-dir') + 1]
os.makedirs(work_dir, exist_ok=True)
with open(os.path.join(work_dir, 'calls.txt'), 'a') as f:
    f.write('train ' + ' '.join(args) + '\\n')
checkpoint = os.path.join(work_dir, 'iter_2.pth')
open(checkpoint, 'w').close()
with open(os.path.join(work_dir, 'last_checkpoint'), 'w') as f:
    f.write(checkpoint)
"""
FAKE_TEST = """
import json, os, sys
args = sys.argv[1:]
work_dir = args[args.index('--work-dir') + 1]
with open(os.path.join(work_dir, 'calls.txt'), 'a') as f:
    f.write('test ' + ' '.join(args) + '\\n')
seed = int([a for a in args if a.startswith('split_seed=')][0][11:])
if str(seed) == os.environ.get('FAIL_SEED'):
    sys.exit(3)
novel = 0.1 * (seed + 1)
metrics = {}
for split, value in (('', 0.7), ('BASE_CLASSES_', 0.8),
                     ('NOVEL_CLASSES_', novel)):
    metrics[f'pascal_voc/{split}mAP'] = value
    metrics[f'pascal_voc/{split}AP50'] = value
with open(os.path.join(work_dir, 'test_results.json'), 'w') as f:
    json.dump(dict(config=args[0], checkpoint=args[1],
                   config_digest=os.environ['DIGEST'], split_seed=seed,
                   num_shots=1, train_seed=seed,
                   class_splits=['BASE_CLASSES', 'NOVEL_CLASSES'],
                   metrics=metrics, table=[]), f)
"""


@pytest.fixture
def stand_ins(run_cwd, tool, monkeypatch):
    root = run_cwd / 'fake_root'
    scripts = root / 'tools/detection'
    scripts.mkdir(parents=True)
    (scripts / 'train.py').write_text(textwrap.dedent(FAKE_TRAIN))
    (scripts / 'test.py').write_text(textwrap.dedent(FAKE_TEST))
    monkeypatch.setattr(tool, 'ROOT', str(root))
    monkeypatch.setenv(
        'DIGEST',
        config_digest(load_config(ONE_SHOT, dict(load_from='b.pth'))))
    return run_cwd


def test_run_trains_tests_and_summarises_every_seed(stand_ins, tool, run_tool,
                                                    capsys):
    work_dir = stand_ins / 'sweep'
    argv = [
        'run', ONE_SHOT, '--num-seeds', '3', '--work-dir', 'sweep',
        '--cfg-options', 'load_from=b.pth'
    ]
    status, out, err = run_tool(tool, argv, capsys)
    assert status == 0, err
    for seed in range(3):
        train, test = (work_dir / f'seed{seed}' /
                       'calls.txt').read_text().splitlines()
        assert train == (f'train {ONE_SHOT} --work-dir sweep/seed{seed} '
                         f'--seed {seed} --cfg-options split_seed={seed} '
                         'load_from=b.pth')
        # the last checkpoint of the training run is tested
        assert test == (f'test {ONE_SHOT} sweep/seed{seed}/iter_2.pth '
                        f'--work-dir sweep/seed{seed} --cfg-options '
                        f'split_seed={seed} load_from=b.pth')
    summary = json.loads((work_dir / 'seeds_summary.json').read_text())
    novel = [
        r for r in summary['rows']
        if r['classes'] == 'NOVEL_CLASSES' and r['metric'] == 'AP50'
    ][0]
    assert novel['values'] == pytest.approx([10.0, 20.0, 30.0])
    # std 10, t(0.975, 2) = 4.302653
    assert novel['ci'] == pytest.approx(4.302652729911275 * 10 / math.sqrt(3))
    assert (work_dir / 'seeds_summary.png').is_file()
    plan = json.loads((work_dir / 'multi_seed.json').read_text())
    assert plan['seeds'] == [0, 1, 2]
    assert plan['cfg_options'] == ['load_from=b.pth']
    # a second call with one more seed runs only that one, resuming it
    (work_dir / 'seed3').mkdir()
    (work_dir / 'seed3' / 'last_checkpoint').write_text('x')
    status, out, err = run_tool(tool,
                                argv[:2] + ['--num-seeds', '4'] + argv[4:],
                                capsys)
    assert status == 0, err
    assert out.count('finished, skipped') == 3
    calls = (work_dir / 'seed0' / 'calls.txt').read_text().splitlines()
    assert len(calls) == 2
    assert '--resume' in (work_dir / 'seed3' / 'calls.txt').read_text()
    assert '| 1     | NOVEL_CLASSES | 4     | 25.0 ±' in out


def test_failed_seed_is_named_and_not_averaged_away(stand_ins, tool, run_tool,
                                                    capsys, monkeypatch):
    monkeypatch.setenv('FAIL_SEED', '1')
    status, out, err = run_tool(tool, [
        'run', ONE_SHOT, '--num-seeds', '3', '--work-dir', 'sweep',
        '--cfg-options', 'load_from=b.pth'
    ], capsys)
    lines = err.strip().splitlines()
    assert status == 2
    assert lines[0].startswith(f'multi_seed: seed 1 of {ONE_SHOT} failed '
                               '(exit status 3)')
    assert lines[1].startswith('multi_seed: error: sweep: no finished run '
                               'of seed(s) 1')
    assert not (stand_ins / 'sweep' / 'seeds_summary.json').exists()
