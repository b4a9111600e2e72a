"""The classification user path end to end: toy dataset generator, train /
test tools (also under torchrun with 2 CPU processes), resume, user errors,
the inference demo, the dataset browser and the launch scripts.

One small toy dataset (25 classes: 15 train / 5 val / 5 test, 12 images of
32x32 each) and one short training run are shared by the whole module.
"""
import contextlib
import importlib.util
import io
import json
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import mmcv
import pytest
import torch

import mmfewshot.classification.models  # noqa: F401  (registers models)
from mmfewshot.classification.datasets import MiniImageNetDataset
from mmfewshot.classification.registry import MODELS

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / 'configs/classification/proto_net/toy/'
             'proto-net_conv4_1xb25_toy_5way-1shot.py')
TRAIN = str(ROOT / 'tools/classification/train.py')
TEST = str(ROOT / 'tools/classification/test.py')
PYTHON = sys.executable
RESULT_LINE = re.compile(r'meta-test accuracy: (\d+\.\d+) ± (\d+\.\d+) '
                         r'\(95% CI, std \d+\.\d+, (\d+) tasks\)')
NUM_CLASSES, IMAGES_PER_CLASS, SIZE = 25, 12, 32
SPLIT_SIZES = dict(train=15, val=5, test=5)


def load_script(path: str, name: str):
    """Import a script of tools/ or demo/ as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_toy = load_script('tools/data/classification/make_toy_dataset.py',
                       'make_toy_dataset')


def data_options(root: Path) -> List[str]:
    """--cfg-options pointing the three dataloaders of the toy config at
    ``root``, with small meta tests that fit 12 images per class."""
    options = []
    for phase, split in (('train', 'train'), ('val', 'val'), ('test', 'test')):
        dataset = f'{phase}_dataloader.dataset'
        options += [
            f'{dataset}.dataset.data_prefix={root}',
            f'{dataset}.dataset.classes={root}/{split}_classes.txt'
        ]
    options += [
        'val_dataloader.dataset.num_episodes=10',
        'val_dataloader.dataset.num_queries=5',
        'test_dataloader.dataset.num_episodes=20',
        'test_dataloader.dataset.num_queries=5',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
    ]
    return options


def run(args: List[str], timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)


def check_ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + \
        result.stderr[-3000:]
    return result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def parse_result_line(output: str) -> Dict[str, float]:
    match = RESULT_LINE.search(output)
    assert match, f'no meta-test result line in:\n{output[-3000:]}'
    return dict(
        mean=float(match[1]), ci=float(match[2]), num_tasks=int(match[3]))


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('toy') / 'toy_fewshot'
    make_toy.make_toy_dataset(
        str(root), NUM_CLASSES, IMAGES_PER_CLASS, SIZE, seed=0, max_fonts=4)
    return root


@pytest.fixture(scope='module')
def trained(toy_root, tmp_path_factory) -> Dict[str, object]:
    """6 training iterations, validated and checkpointed every 3."""
    work_dir = tmp_path_factory.mktemp('work') / 'toy'
    options = data_options(toy_root) + [
        'train_cfg.max_iters=6', 'train_cfg.val_interval=3',
        'default_hooks.checkpoint.interval=3',
        'default_hooks.logger.interval=2'
    ]
    output = check_ok(
        run([
            PYTHON, TRAIN, CONFIG, '--work-dir',
            str(work_dir), '--cfg-options'
        ] + options))
    return dict(work_dir=work_dir, output=output, options=options)


# -------------------------------------------------------------- generator
def test_toy_dataset_loads_per_split_with_disjoint_classes(toy_root):
    classes = {}
    for split, size in SPLIT_SIZES.items():
        dataset = MiniImageNetDataset(
            data_prefix=str(toy_root),
            subset=split,
            classes=str(toy_root / f'{split}_classes.txt'))
        assert len(dataset.CLASSES) == size
        assert len(dataset) == size * IMAGES_PER_CLASS
        counts = torch.bincount(torch.as_tensor(dataset.get_gt_labels()))
        assert counts.tolist() == [IMAGES_PER_CLASS] * size
        for wnid in dataset.CLASSES:
            assert re.fullmatch(r'n\d{8}', wnid), wnid
        image = mmcv.imread(dataset.get_data_info(0)['img_path'])
        assert image.shape == (SIZE, SIZE, 3)
        classes[split] = set(dataset.CLASSES)
    assert not classes['train'] & classes['val']
    assert not classes['train'] & classes['test']
    assert not classes['val'] & classes['test']
    assert len(set.union(*classes.values())) == NUM_CLASSES
    # the csv index is the rank of the file number, not the file name order
    wnid = sorted(classes['test'])[0]
    files = sorted(
        os.listdir(toy_root / 'images' / wnid),
        key=lambda name: int(name[:-5].split('_')[1]))
    dataset = MiniImageNetDataset(
        data_prefix=str(toy_root), subset='test', classes=[wnid])
    assert [
        osp.basename(dataset.get_data_info(i)['img_path'])
        for i in range(len(dataset))
    ] == files


def test_toy_dataset_same_seed_same_bytes(toy_root, tmp_path):
    again, other = tmp_path / 'again', tmp_path / 'other'
    make_toy.make_toy_dataset(
        str(again), NUM_CLASSES, IMAGES_PER_CLASS, SIZE, seed=0, max_fonts=4)
    make_toy.make_toy_dataset(
        str(other), NUM_CLASSES, IMAGES_PER_CLASS, SIZE, seed=1, max_fonts=4)

    def tree(root: Path) -> Dict[str, bytes]:
        return {
            str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob('*')) if path.is_file()
        }

    reference = tree(toy_root)
    assert len(reference) == NUM_CLASSES * IMAGES_PER_CLASS + 8
    assert tree(again) == reference
    assert tree(other) != reference
    assert (other / 'test_classes.txt').read_text() != (
        toy_root / 'test_classes.txt').read_text()


def test_toy_dataset_refuses_too_many_classes():
    with pytest.raises(SystemExit) as error:
        make_toy.parse_args(['out', '--num-classes', '1000'])
    assert error.value.code == 2


# ------------------------------------------------------------ train / test
def test_train_writes_checkpoints_logs_and_scalars(trained):
    work_dir = trained['work_dir']
    for name in ('iter_3.pth', 'iter_6.pth', 'last_checkpoint'):
        assert (work_dir / name).is_file(), sorted(os.listdir(work_dir))
    best = list(work_dir.glob('best_accuracy_mean_iter_*.pth'))
    assert len(best) == 1
    logs = list(work_dir.glob('*/*.log'))
    assert len(logs) == 1
    log = logs[0].read_text()
    assert 'Iter(train) [6/6]' in log
    assert 'Iter(val) [' in log and 'accuracy_mean:' in log
    scalars = [
        json.loads(line) for line in (logs[0].parent / 'vis_data' /
                                      'scalars.json').read_text().splitlines()
    ]
    assert [entry['step'] for entry in scalars if 'loss' in entry] == [2, 4, 6]
    assert [entry['step'] for entry in scalars
            if 'accuracy_mean' in entry] == [3, 6]
    # after training the best checkpoint is meta-tested on the test split
    result = parse_result_line(trained['output'])
    assert result['num_tasks'] == 20
    assert 0 <= result['mean'] <= 100


def test_test_tool_prints_result_and_writes_json(trained):
    work_dir = trained['work_dir']
    output = check_ok(
        run([
            PYTHON, TEST, CONFIG,
            str(work_dir / 'iter_6.pth'), '--work-dir',
            str(work_dir), '--cfg-options'
        ] + trained['options'] + ['test_dataloader.dataset.num_episodes=7']))
    result = parse_result_line(output)
    assert result['num_tasks'] == 7
    saved = json.loads((work_dir / 'meta_test_results.json').read_text())
    assert saved['num_tasks'] == 7
    assert saved['checkpoint'].endswith('iter_6.pth')
    assert round(saved['accuracy_mean'], 2) == result['mean']
    assert round(saved['accuracy_ci'], 2) == result['ci']


def test_resume_continues_from_last_iteration(trained, tmp_path):
    work_dir = tmp_path / 'resumed'
    work_dir.mkdir()
    (work_dir / 'iter_6.pth').write_bytes(
        (trained['work_dir'] / 'iter_6.pth').read_bytes())
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_6.pth'))
    output = check_ok(
        run([
            PYTHON, TRAIN, CONFIG, '--work-dir',
            str(work_dir), '--resume', '--skip-test', '--cfg-options'
        ] + trained['options'] + ['train_cfg.max_iters=8']))
    assert 'resumed epoch: 0, iter: 6' in output
    assert 'Iter(train) [8/8]' in output
    assert 'Iter(train) [2/8]' not in output
    before, after = (
        torch.load(path, map_location='cpu', weights_only=False)
        for path in (trained['work_dir'] / 'iter_6.pth',
                     work_dir / 'iter_8.pth'))
    assert after['meta']['iter'] == 8
    # the loss history goes on from the 6 iterations of the first run
    losses = [
        checkpoint['message_hub']['log_scalars']['train/loss']._log_history
        for checkpoint in (before, after)
    ]
    assert len(losses[0]) == 6 and len(losses[1]) == 8
    assert losses[1][:6].tolist() == losses[0].tolist()


def test_dist_test_two_processes_match_one(trained, tmp_path):
    work_dir = trained['work_dir']
    options = trained['options'] + ['test_dataloader.dataset.num_episodes=7']
    checkpoint = str(work_dir / 'iter_6.pth')
    single, double = tmp_path / 'single.json', tmp_path / 'double.json'
    check_ok(
        run([
            PYTHON, TEST, CONFIG, checkpoint, '--work-dir',
            str(tmp_path), '--out',
            str(single), '--cfg-options'
        ] + options))
    env_port = dict(
        os.environ, PORT=str(free_port()), OMP_NUM_THREADS='1', PYTHON=PYTHON)
    result = subprocess.run(
        [
            'bash',
            str(ROOT / 'tools/classification/dist_test.sh'), CONFIG,
            checkpoint, '2', '--work-dir',
            str(tmp_path), '--out',
            str(double), '--cfg-options'
        ] + options,
        cwd=ROOT,
        env=env_port,
        capture_output=True,
        text=True,
        timeout=300)
    output = check_ok(result)
    assert len(RESULT_LINE.findall(output)) == 1  # printed by rank 0 only
    one = json.loads(single.read_text())
    two = json.loads(double.read_text())
    assert one['num_tasks'] == two['num_tasks'] == 7
    assert two['accuracy_mean'] == pytest.approx(
        one['accuracy_mean'], abs=1e-9)
    assert two['accuracy_std'] == pytest.approx(one['accuracy_std'], abs=1e-9)


def test_dist_train_two_processes(toy_root, tmp_path):
    work_dir = tmp_path / 'dist'
    env = dict(
        os.environ, PORT=str(free_port()), OMP_NUM_THREADS='1', PYTHON=PYTHON)
    result = subprocess.run(
        [
            'bash',
            str(ROOT / 'tools/classification/dist_train.sh'), CONFIG, '2',
            '--work-dir',
            str(work_dir), '--cfg-options'
        ] + data_options(toy_root) + [
            'train_cfg.max_iters=4', 'train_cfg.val_interval=2',
            'default_hooks.checkpoint.interval=2',
            'default_hooks.logger.interval=2'
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    output = check_ok(result)
    assert len(RESULT_LINE.findall(output)) == 1  # printed by rank 0 only
    assert parse_result_line(output)['num_tasks'] == 20
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Distributed launcher: pytorch' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert 'Iter(train) [4/4]' in log
    assert (work_dir / 'iter_4.pth').is_file()


# ------------------------------------------------------------ user errors
def test_missing_dataset_path_names_the_path(trained, tmp_path):
    missing = tmp_path / 'no_such_dataset'
    result = run([
        PYTHON, TRAIN, CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options'
    ] + trained['options'] +
                 [f'train_dataloader.dataset.dataset.data_prefix={missing}'])
    assert result.returncode == 2, result.stderr[-2000:]
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith('train: error:')
    assert str(missing / 'train.csv') in error


def test_unknown_type_names_the_type(trained, tmp_path):
    result = run([
        PYTHON, TRAIN, CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options'
    ] + trained['options'] + ['model.backbone.type=Conv5Typo'])
    assert result.returncode == 2, result.stderr[-2000:]
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith('train: error: Conv5Typo is not in the '
                            'mmfewshot_cls::model registry')


def test_checkpoint_of_another_model_names_the_keys(trained, tmp_path):
    other = MODELS.build(dict(type='RelationNet'))
    checkpoint = tmp_path / 'relation_net.pth'
    torch.save(dict(state_dict=other.state_dict()), checkpoint)
    result = run([
        PYTHON, TEST, CONFIG,
        str(checkpoint), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options'
    ] + trained['options'])
    assert result.returncode == 2, result.stderr[-2000:]
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(f'test: error: checkpoint {checkpoint} does not '
                            'fit ProtoNet')
    # Conv4NoPool numbers its layers differently from Conv4 and the
    # relation module is what ProtoNet lacks
    assert 'missing keys: backbone.layers.13.bias' in error
    assert 'unexpected keys: backbone.layers.11.weight' in error
    assert 'head.blocks.0.0.weight' in error
    assert 'backbone.layers.12.weight (64,) vs (64, 64, 3, 3)' in error


# ------------------------------------------- bad inputs: one-line errors
train_tool = load_script('tools/classification/train.py', 'train_tool')
test_tool = load_script('tools/classification/test.py', 'test_tool')
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=SIZE),
    dict(type='PackInputs')
]


@pytest.fixture(scope='module')
def bad_data(toy_root, tmp_path_factory) -> Dict[str, Path]:
    """Files of the bad inputs: annotation files (with a label out of
    range, a line without a label), a classes file naming a class the split
    lacks, copies of the toy data with a class of zero-byte images, a
    config file with a key its constructor refuses, damaged checkpoints."""
    root = tmp_path_factory.mktemp('bad')
    train_classes = (toy_root / 'train_classes.txt').read_text().split()[:5]
    lines = [
        f'images/{wnid}/{name} {label}'
        for label, wnid in enumerate(train_classes)
        for name in sorted(os.listdir(toy_root / 'images' / wnid))
    ]
    files = dict(
        classes=root / 'classes.txt',
        ann_out_of_range=root / 'ann_out_of_range.txt',
        ann_no_label=root / 'ann_no_label.txt',
        classes_not_in_split=root / 'classes_not_in_split.txt')
    files['classes'].write_text('\n'.join(train_classes) + '\n')
    files['ann_out_of_range'].write_text('\n'.join(
        lines[:7] + [lines[7].rsplit(' ', 1)[0] + ' 9'] + lines[8:]) + '\n')
    files['ann_no_label'].write_text('\n'.join(lines[:3] +
                                               [lines[3].rsplit(' ', 1)[0]]) +
                                     '\n')
    files['classes_not_in_split'].write_text('\n'.join(train_classes +
                                                       ['n99999999']) + '\n')
    files['ann_config'] = root / 'ann_config.py'
    files['ann_config'].write_text(
        f'_base_ = [{CONFIG!r}]\n'
        'train_dataloader = dict(dataset=dict(dataset=dict(\n'
        f'    _delete_=True, type="BaseFewShotDataset",\n'
        f'    data_prefix={str(toy_root)!r}, ann_file="",\n'
        f'    classes={str(files["classes"])!r}, pipeline={PIPELINE!r})))\n')
    files['typo_config'] = root / 'typo_config.py'
    files['typo_config'].write_text(
        f'_base_ = [{CONFIG!r}]\nmodel = dict(backbone=dict(dpeth=4))\n')
    # copies of the data where every image of one class is empty
    for split in ('train', 'test'):
        copy = root / f'empty_{split}'
        shutil.copytree(toy_root, copy)
        wnid = (toy_root / f'{split}_classes.txt').read_text().split()[0]
        for image in (copy / 'images' / wnid).iterdir():
            image.write_bytes(b'')
        files[f'empty_{split}'] = copy
        files[f'empty_{split}_image'] = sorted(
            (copy / 'images' / wnid).iterdir())[0]
    files['checkpoint_empty'] = root / 'empty.pth'
    files['checkpoint_empty'].write_bytes(b'')
    return files


def bad_train_inputs(bad: Dict[str, Path]) -> list:
    """(extra arguments, a phrase the error line must hold) of train.py."""
    empty = bad['empty_train']
    return [
        (['--cfg-options', 'model.backbone.dpeth=4'],
         "'model.backbone.dpeth': Conv4 takes no argument 'dpeth'"),
        (['--cfg-options', 'train_cfg.max_iters=abc'],
         "train_cfg.max_iters='abc': expected a number"),
        (['--cfg-options', 'optim_wrapper.optimizer.lr=1e-3x'],
         "optim_wrapper.optimizer.lr='1e-3x': expected a number"),
        (['--cfg-options', 'train_dataloader.dataset.num_queries=20'],
         'num_shots + num_queries = 21 images per class, but class'),
        (['--cfg-options', 'train_dataloader.dataset.num_ways=40'],
         'num_ways=40 but MiniImageNetDataset has only 15 classes'),
        (['--cfg-options', 'train_dataloader.dataset.dataset.subset=training'],
         "unknown subset 'training'"),
        (['--cfg-options', 'train_dataloader.dataset.num_episodes=0'],
         '`num_episodes` must be an integer >= 1, got 0'),
        (['--cfg-options', 'train_dataloader.dataset.num_shots=-1'],
         '`num_shots` must be an integer >= 1, got -1'),
        (['--cfg-options', 'train_dataloader.dataset.num_queries=0'],
         '`num_queries` must be an integer >= 1 (the loss of an episode is '
         'computed on its queries), got 0'),
        ([
            '--cfg-options', 'train_dataloader.dataset.dataset.classes='
            f'{bad["classes_not_in_split"]}'
        ], "no image of class 'n99999999'"),
        ([
            '--cfg-options', f'train_dataloader.dataset.dataset.data_prefix='
            f'{empty}', 'train_dataloader.num_workers=1',
            f'train_dataloader.dataset.dataset.classes={bad["classes"]}',
            'train_dataloader.dataset.num_ways=5'
        ], (f'image {empty}/images/', 'is empty (0 bytes)')),
        (['--resume', str(bad['checkpoint_empty'])],
         f'cannot resume: checkpoint {bad["checkpoint_empty"]} is empty'),
        (['--cfg-options', 'optim_wrapper.optimizer.type=SDG'],
         "optim_wrapper.optimizer.type: 'SDG' is not a registered optimizer; "
         "did you mean 'SGD'?"),
    ]


def expect_user_error(tool, name: str, argv: List[str], phrase,
                      capsys) -> None:
    """``tool.main(argv)`` exits with status 2 and one error line holding
    ``phrase`` (or every phrase of a tuple), the last line of stderr."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        tool.main(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if 'error: ' in line]
    assert errors == lines[-1:], lines[-10:]
    assert errors[0].startswith(f'{name}: error: '), errors
    for part in (phrase, ) if isinstance(phrase, str) else phrase:
        assert part in errors[0], errors


def test_bad_train_inputs_are_one_line_errors(trained, bad_data, tmp_path,
                                              capsys):
    for index, (extra, phrase) in enumerate(bad_train_inputs(bad_data)):
        argv = [CONFIG, '--work-dir', str(tmp_path / str(index))]
        if extra[0] == '--cfg-options':
            argv += ['--cfg-options'] + trained['options'] + extra[1:]
        else:
            argv += extra + ['--cfg-options'] + trained['options']
        expect_user_error(train_tool, 'train', argv, phrase, capsys)


def test_bad_annotation_files_and_config_keys_are_one_line_errors(
        trained, bad_data, tmp_path, capsys):
    cases = [
        (bad_data['ann_config'], [
            'train_dataloader.dataset.dataset.ann_file='
            f'{bad_data["ann_out_of_range"]}'
        ], f'{bad_data["ann_out_of_range"]}, line 8: label 9 is outside [0, '
         '4]'),
        (bad_data['ann_config'], [
            'train_dataloader.dataset.dataset.ann_file='
            f'{bad_data["ann_no_label"]}'
        ], f'{bad_data["ann_no_label"]}, line 4: expected "<image path> '
         '<label>"'),
        (bad_data['typo_config'], [],
         "model.backbone.dpeth: Conv4 takes no argument 'dpeth'"),
    ]
    options = [
        option for option in trained['options']
        if not option.startswith('train_dataloader.dataset.dataset')
    ]
    for index, (config, extra, phrase) in enumerate(cases):
        expect_user_error(train_tool, 'train', [
            str(config), '--work-dir',
            str(tmp_path / str(index)), '--cfg-options'
        ] + options + extra, phrase, capsys)


def test_bad_test_inputs_are_one_line_errors(trained, bad_data, tmp_path,
                                             capsys):
    checkpoint = trained['work_dir'] / 'iter_6.pth'
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(checkpoint.read_bytes()[:5000])
    empty = bad_data['empty_test']
    cases = [
        (truncated, [], f'checkpoint {truncated} is truncated or damaged'),
        (bad_data['checkpoint_empty'], [],
         f'checkpoint {bad_data["checkpoint_empty"]} is empty (0 bytes)'),
        (checkpoint, ['test_dataloader.dataset.num_shots=0'],
         '`num_shots` must be an integer >= 1, got 0'),
        (checkpoint, ['test_dataloader.dataset.num_ways=9'],
         'num_ways=9 but MiniImageNetDataset has only 5 classes'),
        (checkpoint, [f'test_dataloader.dataset.dataset.data_prefix={empty}'],
         (f'image {empty}/images/', 'is empty (0 bytes)')),
    ]
    for index, (path, extra, phrase) in enumerate(cases):
        expect_user_error(test_tool, 'test', [
            CONFIG,
            str(path), '--work-dir',
            str(tmp_path / str(index)), '--cfg-options'
        ] + trained['options'] + extra, phrase, capsys)


def test_an_override_without_equals_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_tool.main([CONFIG, '--cfg-options', 'train_cfg.max_iters'])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        "error: --cfg-options: 'train_cfg.max_iters' is not key=value")


def test_resume_without_a_checkpoint_says_it_starts_anew(trained, tmp_path):
    output = check_ok(
        run([
            PYTHON, TRAIN, CONFIG, '--work-dir',
            str(tmp_path), '--resume', '--skip-test', '--cfg-options'
        ] + trained['options'] + ['train_cfg.max_iters=1']))
    assert f'no intact checkpoint in {tmp_path} to resume from; training ' \
        'starts at the beginning' in output
    assert 'resumed' not in output
    assert (tmp_path / 'iter_1.pth').is_file()


# ------------------------------------------------- demo and dataset browser
def test_inference_demo_predicts_a_support_class(trained, toy_root, tmp_path):
    """The demo adapts to one image per class, names the classes by the
    toy's class-name map and draws the query next to the support images."""
    demo = load_script('demo/demo_classification.py', 'demo_classification')
    test_classes = (toy_root / 'test_classes.txt').read_text().split()
    support_dir = tmp_path / 'support'
    for wnid in test_classes:
        first = sorted((toy_root / 'images' / wnid).iterdir())[0]
        (support_dir / wnid).mkdir(parents=True)
        (support_dir / wnid / first.name).write_bytes(first.read_bytes())
    names = dict(
        line.split('\t')
        for line in (toy_root / 'class_names.txt').read_text().splitlines())
    assert sorted(names) == sorted(
        path.name for path in (toy_root / 'images').iterdir())
    assert len(set(names.values())) == NUM_CLASSES
    shown = [names[wnid] for wnid in test_classes]
    query = sorted((toy_root / 'images' / test_classes[0]).iterdir())[1]
    out_file = tmp_path / 'pictures' / 'result.png'
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        demo.main([
            CONFIG,
            str(trained['work_dir'] / 'iter_6.pth'), '--support-dir',
            str(support_dir), '--query',
            str(query), '--out-file',
            str(out_file), '--device', 'cpu', '--class-names',
            str(toy_root / 'class_names.txt')
        ])
    lines = stdout.getvalue().splitlines()
    lines = lines[lines.index('support: 5 images of 5 classes'):]
    predicted = re.match(
        r'query .*: predicted class (.+) \(score (\d\.\d{4})\)', lines[1])
    assert predicted and predicted[1] in shown
    scores = {
        line.strip().rsplit(' ', 1)[0].strip(): float(line.rsplit(' ', 1)[1])
        for line in lines[2:7]
    }
    assert sorted(scores) == sorted(shown)
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert max(scores, key=scores.get) == predicted[1]
    # the query beside a row of support images per class: wider than tall
    picture = mmcv.imread(str(out_file))
    assert picture.ndim == 3 and picture.shape[1] > picture.shape[0]


def test_inference_demo_reports_empty_support_class(trained, toy_root,
                                                    tmp_path, capsys):
    demo = load_script('demo/demo_classification.py', 'demo_classification')
    (tmp_path / 'support' / 'empty_class').mkdir(parents=True)
    query = next((toy_root / 'images').rglob('*.JPEG'))
    with pytest.raises(SystemExit) as error:
        demo.main([
            CONFIG,
            str(trained['work_dir'] / 'iter_6.pth'), '--support-dir',
            str(tmp_path / 'support'), '--query',
            str(query)
        ])
    assert error.value.code == 2
    assert 'empty_class has no image' in capsys.readouterr().err


def test_browse_dataset_samples_and_episode(toy_root, tmp_path):
    browse = load_script('tools/misc/browse_dataset.py', 'browse_dataset')
    options = ['--cfg-options'] + data_options(toy_root)
    browse.main([
        CONFIG, '-o',
        str(tmp_path / 'pipeline'), '-n', '3', '-m', 'pipeline'
    ] + options)
    pictures = sorted(os.listdir(tmp_path / 'pipeline'))
    # samples 0, 90 and 179 of the 180 train images, named by class
    assert [name[:6] for name in pictures] == ['000000', '000090', '000179']
    image = mmcv.imread(str(tmp_path / 'pipeline' / pictures[0]))
    # a 128-pixel panel + caption for LoadImageFromFile, Resize, PackInputs
    assert image.shape == (128 + browse.CAPTION_HEIGHT,
                           3 * 128 + 2 * browse.GAP, 3)

    browse.main([
        CONFIG, '-o',
        str(tmp_path / 'episode'), '-p', 'test', '--episode', '2'
    ] + options)
    grid = mmcv.imread(
        str(tmp_path / 'episode' / 'episode_000002_transformed.png'))
    num_ways, num_shots, num_queries = 5, 1, 5
    cell = 128 + browse.CAPTION_HEIGHT
    assert grid.shape[0] == num_ways * cell + (num_ways - 1) * browse.GAP
    assert grid.shape[1] == 120 + (num_shots + num_queries) * (128 +
                                                               browse.GAP)


def test_browse_dataset_episode_out_of_range(toy_root, tmp_path, capsys):
    browse = load_script('tools/misc/browse_dataset.py', 'browse_dataset')
    with pytest.raises(SystemExit) as error:
        browse.main(
            [CONFIG, '-o',
             str(tmp_path), '--episode', '3', '-p', 'test'] +
            ['--cfg-options'] + data_options(toy_root) +
            ['test_dataloader.dataset.num_episodes=2'])
    assert error.value.code == 2
    assert 'episode 3 is outside [0, 1]' in capsys.readouterr().err


# ---------------------------------------------------------- launch scripts
def test_slurm_scripts_build_the_srun_command(tmp_path):
    fake_bin = tmp_path / 'bin'
    fake_bin.mkdir()
    srun = fake_bin / 'srun'
    srun.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    srun.chmod(0o755)
    env = dict(
        os.environ,
        PATH=f'{fake_bin}:{os.environ["PATH"]}',
        GPUS='4',
        GPUS_PER_NODE='2',
        CPUS_PER_TASK='3',
        SRUN_ARGS='--qos=low --time=10',
        PYTHON='python3')
    train = subprocess.run([
        'bash',
        str(ROOT / 'tools/classification/slurm_train.sh'), 'gpu_part',
        'toy_job', 'my_config.py', 'work/dir', '--seed', '5'
    ],
                           env=env,
                           capture_output=True,
                           text=True,
                           check=True).stdout.splitlines()
    assert train == [
        '--partition=gpu_part', '--job-name=toy_job', '--gres=gpu:2',
        '--ntasks=4', '--ntasks-per-node=2', '--cpus-per-task=3',
        '--kill-on-bad-exit=1', '--qos=low', '--time=10', 'python3', '-u',
        TRAIN, 'my_config.py', '--work-dir', 'work/dir', '--seed', '5',
        '--launcher', 'slurm'
    ]
    test = subprocess.run([
        'bash',
        str(ROOT / 'tools/classification/slurm_test.sh'), 'gpu_part',
        'toy_job', 'my_config.py', 'model.pth'
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          check=True).stdout.splitlines()
    assert test[-6:] == [
        '-u', TEST, 'my_config.py', 'model.pth', '--launcher', 'slurm'
    ]


@pytest.mark.parametrize('script, num_args', [('dist_train.sh', 2),
                                              ('dist_test.sh', 3),
                                              ('slurm_train.sh', 4),
                                              ('slurm_test.sh', 4)])
def test_launch_scripts_print_usage(script, num_args):
    result = subprocess.run(
        ['bash', str(ROOT / 'tools/classification' / script)],
        capture_output=True,
        text=True)
    assert result.returncode == 2
    assert result.stderr.startswith('usage:')
    assert len(result.stderr.split('[')[0].split()) == 2 + num_args
