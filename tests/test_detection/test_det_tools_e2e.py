"""The detection tools end to end on a small generated toy dataset: base
training, surgery, fine-tuning, test (table, raw predictions, pictures),
2-process test, inference demo, and the one-line errors of bad input.

The runs are a few iterations long: they check the path, not the accuracy
(`make demo-detection` and the README report the accuracy of full runs).
"""
import json
import os
import os.path as osp
import pickle
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import mmcv
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / 'configs/detection/tfa/toy'
BASE = str(TOY / 'tfa_tiny-r18_fpn_toy_base-training.py')
ONE_SHOT = str(TOY / 'tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py')
PYTHON = sys.executable
QUICK = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1'
]


def iterations(num):
    return [
        f'train_cfg.max_iters={num}', f'train_cfg.val_interval={num}',
        f'default_hooks.checkpoint.interval={num}'
    ]


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_cli(tool, argv, cwd):
    """Run a tool as a user does: (exit status, stdout, stderr)."""
    result = subprocess.run(
        [PYTHON, str(ROOT / 'tools/detection' / tool)] + argv,
        cwd=cwd,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=300)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope='module')
def tools(load_script):
    return dict(
        train=load_script('tools/detection/train.py'),
        test=load_script('tools/detection/test.py'),
        surgery=load_script('tools/detection/misc/initialize_bbox_head.py'),
        demo=load_script('demo/demo_detection.py'))


@pytest.fixture(scope='module')
def workspace(tmp_path_factory, load_script):
    """A working directory with ``data/toy_det`` (48 + 12 images)."""
    cwd = tmp_path_factory.mktemp('det_tools')
    load_script('tools/data/detection/make_toy_dataset.py').main([
        str(cwd / 'data/toy_det'), '--num-trainval', '48', '--num-test', '12',
        '--shots', '1', '2', '--split-seeds', '0', '1'
    ])
    return cwd


@pytest.fixture(scope='module')
def trained(workspace, tools):
    """Base training (4 iterations), surgery and 1-shot fine-tuning (3)."""
    previous = os.getcwd()
    os.chdir(workspace)
    try:
        base_dir = workspace / 'work_dirs/base'
        assert tools['train'].main(
            [BASE, '--work-dir',
             str(base_dir), '--cfg-options'] + QUICK + iterations(4)) is None
        assert tools['surgery'].main([
            '--src1',
            str(base_dir / 'iter_4.pth'), '--method', 'random_init',
            '--config', ONE_SHOT
        ]) == 0
        surgered = base_dir / 'base_model_random_init_bbox_head.pth'
        fine_dir = workspace / 'work_dirs/fine'
        assert tools['train'].main([
            ONE_SHOT, '--work-dir',
            str(fine_dir), '--cfg-options', f'load_from={surgered}'
        ] + QUICK + iterations(3)) is None
    finally:
        os.chdir(previous)
    return dict(
        cwd=workspace,
        base_dir=base_dir,
        surgered=surgered,
        fine_dir=fine_dir,
        checkpoint=fine_dir / 'iter_3.pth')


def test_training_writes_checkpoints_logs_and_the_few_shot_set(trained):
    base_dir, fine_dir = trained['base_dir'], trained['fine_dir']
    assert (base_dir / 'iter_4.pth').is_file()
    assert list(base_dir.glob('best_pascal_voc_mAP_iter_4.pth'))
    log = next(fine_dir.glob('*/*.log')).read_text()
    assert 'pascal_voc/NOVEL_CLASSES_AP50' in log
    assert 'froze' in log and 'frozen ones left out' in log
    saved = json.loads((fine_dir / 'saved_dataset.json').read_text())
    labels = [
        instance['bbox_label'] for item in saved['data_list']
        for instance in item['instances'] if not instance['ignore_flag']
    ]
    # one instance of each of the 8 classes
    assert sorted(labels) == list(range(8))
    assert saved['metainfo']['classes'][-2:] == ['star', 'diamond']


def test_fine_tuning_changes_only_the_last_layers(trained):
    surgered = torch.load(trained['surgered'], weights_only=True)
    tuned = torch.load(trained['checkpoint'], weights_only=True)
    changed = sorted(name for name, value in surgered['state_dict'].items()
                     if not torch.equal(value, tuned['state_dict'][name]))
    assert changed == [
        'roi_head.bbox_head.fc_cls.weight', 'roi_head.bbox_head.fc_reg.bias',
        'roi_head.bbox_head.fc_reg.weight'
    ]
    assert list(tuned['meta']['dataset_meta']['classes'][:6]) == [
        'circle', 'square', 'triangle', 'ring', 'cross', 'hexagon'
    ]


def test_resume_goes_on_from_the_last_checkpoint(trained, tools, capsys,
                                                 run_tool, monkeypatch,
                                                 tmp_path):
    monkeypatch.chdir(trained['cwd'])
    work_dir = tmp_path / 'resume'
    shutil.copytree(trained['base_dir'], work_dir)
    status, _, err = run_tool(
        tools['train'],
        [BASE, '--work-dir',
         str(work_dir), '--resume', '--cfg-options'] + QUICK + iterations(6),
        capsys)
    assert status == 0, err
    log = sorted(work_dir.glob('*/*.log'))[-1].read_text()
    assert 'resumed from' in log and 'iter_4.pth at iteration 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    resumed = torch.load(work_dir / 'iter_6.pth', weights_only=True)
    assert resumed['meta']['iter'] == 6


def test_test_tool_table_predictions_and_pictures(trained, tools, capsys,
                                                  run_tool, monkeypatch):
    monkeypatch.chdir(trained['cwd'])
    work_dir = trained['cwd'] / 'work_dirs/test'
    preds = work_dir / 'preds.pkl'
    status, out, err = run_tool(tools['test'], [
        ONE_SHOT,
        str(trained['checkpoint']), '--work-dir',
        str(work_dir), '--out',
        str(preds), '--show-dir', 'vis', '--show-score-thr', '0',
        '--cfg-options'
    ] + QUICK, capsys)
    assert status == 0, err
    table = out[out.index('AP by class split (%):'):].splitlines()
    rows = [line for line in table if line.startswith('|')]
    assert rows[0].split('|')[1].strip() == 'classes'
    assert [r.split('|')[1].strip()
            for r in rows[1:]] == ['ALL', 'BASE_CLASSES', 'NOVEL_CLASSES']
    assert [c.strip() for c in rows[0].split('|')[2:-1]] == ['mAP', 'AP50']
    results = json.loads((work_dir / 'test_results.json').read_text())
    metrics = results['metrics']
    for key in ('pascal_voc/AP50', 'pascal_voc/BASE_CLASSES_AP50',
                'pascal_voc/NOVEL_CLASSES_AP50'):
        assert 0 <= metrics[key] <= 1
    assert results['table'][1].startswith('| classes')
    # the identity of the run, for tools/detection/multi_seed.py
    assert results['split_seed'] == 0 and results['num_shots'] == 1
    assert results['train_seed'] == 42
    assert results['class_splits'] == ['BASE_CLASSES', 'NOVEL_CLASSES']
    assert len(results['config_digest']) == 16
    with open(preds, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 12
    assert {'pred_instances', 'img_path'} <= set(predictions[0])
    pictures = list(work_dir.glob('*/vis/*.jpg'))
    assert len(pictures) == 12


def test_dist_test_two_processes_match_one(trained, tmp_path):
    env = dict(
        os.environ, PORT=str(free_port()), OMP_NUM_THREADS='1', PYTHON=PYTHON)
    results = {}
    for name, command in (
        ('one', [PYTHON, str(ROOT / 'tools/detection/test.py')]),
        ('two', ['bash', str(ROOT / 'tools/detection/dist_test.sh')]),
    ):
        argv = [ONE_SHOT, str(trained['checkpoint'])]
        if name == 'two':
            argv.append('2')
        result = subprocess.run(
            command + argv +
            ['--work-dir', str(tmp_path / name), '--cfg-options'] + QUICK,
            cwd=trained['cwd'],
            env=env,
            capture_output=True,
            text=True,
            timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        # the table is printed once (by rank 0)
        assert result.stdout.count('AP by class split (%):') == 1
        results[name] = json.loads(
            (tmp_path / name / 'test_results.json').read_text())['metrics']
    assert results['one'] == pytest.approx(results['two'], abs=1e-9)


@pytest.mark.slow
def test_two_seeds_trained_tested_and_summarised(trained, load_script, capsys,
                                                 run_tool, monkeypatch):
    """tools/detection/multi_seed.py for real: 2 split seeds of the 1-shot
    config, 2 iterations each, then a second call that skips them.

    Four fresh processes (about a minute on 2 cores); test_multi_seed.py
    covers the same path with stand-in train/test scripts.
    """
    monkeypatch.chdir(trained['cwd'])
    tool = load_script('tools/detection/multi_seed.py')
    work_dir = trained['cwd'] / 'work_dirs/seeds'
    argv = [
        'run', ONE_SHOT, '--num-seeds', '2', '--work-dir',
        str(work_dir), '--cfg-options', f'load_from={trained["surgered"]}'
    ] + QUICK + iterations(2)
    status, out, err = run_tool(tool, argv, capsys)
    assert status == 0, err[-3000:]
    sets = []
    for seed in (0, 1):
        results = json.loads(
            (work_dir / f'seed{seed}' / 'test_results.json').read_text())
        assert results['split_seed'] == seed and results['train_seed'] == seed
        saved = json.loads(
            (work_dir / f'seed{seed}' / 'saved_dataset.json').read_text())
        sets.append(sorted(item['img_path'] for item in saved['data_list']))
    # the seeds trained on different K-shot sets
    assert sets[0] != sets[1]
    summary = json.loads((work_dir / 'seeds_summary.json').read_text())
    assert summary['experiments'][0]['seeds'] == [0, 1]
    assert (work_dir / 'seeds_summary.png').is_file()
    assert 'AP by class split over split seeds 0-1' in out
    runs = sorted(p.name for p in work_dir.glob('seed*/2*'))
    status, out, err = run_tool(tool, argv, capsys)
    assert status == 0, err[-3000:]
    assert out.count('finished, skipped') == 2
    # nothing ran again (every run writes a time-stamped folder)
    assert sorted(p.name for p in work_dir.glob('seed*/2*')) == runs


def test_demo_draws_the_detections(trained, tools, capsys, run_tool, tmp_path):
    image = sorted((trained['cwd'] / 'data/toy_det/JPEGImages').glob('*'))[-1]
    out_file = tmp_path / 'result.png'
    status, out, err = run_tool(tools['demo'], [
        ONE_SHOT,
        str(trained['checkpoint']),
        str(image), '--out-file',
        str(out_file), '--score-thr', '0', '--device', 'cpu'
    ], capsys)
    assert status == 0, err
    assert out_file.is_file() and out_file.stat().st_size > 0
    assert 'detections' in out
    # with the K-shot set of the fine-tuning config beside the detections
    with_support = tmp_path / 'with_support.png'
    previous = os.getcwd()
    os.chdir(trained['cwd'])
    try:
        status, out, err = run_tool(tools['demo'], [
            ONE_SHOT,
            str(trained['checkpoint']),
            str(image), '--out-file',
            str(with_support), '--show-support', '--device', 'cpu'
        ], capsys)
    finally:
        os.chdir(previous)
    assert status == 0, err
    classes = ('circle', 'square', 'triangle', 'ring', 'cross', 'hexagon',
               'star', 'diamond')
    assert ('support instances of the training set: ' +
            ', '.join(f'{name} 1' for name in classes)) in out
    plain, panel = (
        mmcv.imread(str(path)) for path in (out_file, with_support))
    assert panel.shape[1] / panel.shape[0] > plain.shape[1] / plain.shape[0]


# ------------------------------------------------------------ user errors
def assert_one_line_error(status, err, *expected):
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith('train: error: ') or lines[0].startswith(
        'test: error: '), err
    for text in expected:
        assert text in lines[0], err


def assert_untouched(work_dir):
    assert not work_dir.exists() or not any(work_dir.iterdir()), \
        sorted(p.name for p in work_dir.iterdir())


def test_missing_load_from_is_named(trained, tools, capsys, run_tool,
                                    monkeypatch):
    monkeypatch.chdir(trained['cwd'])
    work_dir = trained['cwd'] / 'work_dirs/missing'
    status, _, err = run_tool(tools['train'], [
        ONE_SHOT, '--work-dir',
        str(work_dir), '--cfg-options', 'load_from=nowhere/base.pth'
    ] + QUICK, capsys)
    assert_one_line_error(status, err, 'nowhere/base.pth')
    assert_untouched(work_dir)


def test_base_model_without_surgery_is_a_class_count_error(trained):
    work_dir = trained['cwd'] / 'work_dirs/no_surgery'
    status, _, err = run_cli('train.py', [
        ONE_SHOT, '--work-dir',
        str(work_dir), '--cfg-options',
        f'load_from={trained["base_dir"] / "iter_4.pth"}'
    ] + QUICK, trained['cwd'])
    assert_one_line_error(status, err, 'roi_head.bbox_head.fc_cls.weight',
                          '(7, 256) vs (9, 256)', 'initialize_bbox_head')
    assert_untouched(work_dir)


def test_unknown_split_name_is_named(trained, tools, capsys, run_tool,
                                     monkeypatch):
    monkeypatch.chdir(trained['cwd'])
    work_dir = trained['cwd'] / 'work_dirs/split'
    status, _, err = run_tool(tools['train'], [
        BASE, '--work-dir',
        str(work_dir), '--cfg-options',
        'train_dataloader.dataset.classes=BASE_CLASSES_SPLIT9'
    ] + QUICK, capsys)
    assert_one_line_error(status, err, 'BASE_CLASSES_SPLIT9')
    assert_untouched(work_dir)


def test_missing_image_is_named(trained, tools, capsys, run_tool, monkeypatch,
                                tmp_path):
    monkeypatch.chdir(trained['cwd'])
    data = tmp_path / 'toy_det'
    shutil.copytree(trained['cwd'] / 'data/toy_det', data)
    missing = sorted((data / 'JPEGImages').glob('*.jpg'))[0]
    missing.unlink()
    work_dir = tmp_path / 'work'
    status, _, err = run_tool(tools['train'], [
        BASE, '--work-dir',
        str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.data_root={data}/',
        f'val_dataloader.dataset.data_root={data}/'
    ] + QUICK + iterations(2), capsys)
    assert_one_line_error(status, err, missing.name)
    assert_untouched(work_dir)


def test_unknown_category_in_coco_annotations_is_named(trained, tools, capsys,
                                                       run_tool, monkeypatch,
                                                       tmp_path):
    monkeypatch.chdir(trained['cwd'])
    ann_file = tmp_path / 'train.json'
    ann_file.write_text(
        json.dumps(
            dict(
                images=[
                    dict(id=1, file_name='000001.jpg', width=128, height=128)
                ],
                annotations=[
                    dict(
                        id=1,
                        image_id=1,
                        category_id=77,
                        bbox=[1, 1, 20, 20],
                        area=400,
                        iscrowd=0)
                ],
                categories=[dict(id=1, name='circle')])))
    work_dir = tmp_path / 'work'
    status, _, err = run_tool(tools['train'], [
        BASE, '--work-dir',
        str(work_dir), '--cfg-options',
        'train_dataloader.dataset.type=FewShotCocoDataset',
        f'train_dataloader.dataset.ann_cfg.0.ann_file={ann_file}',
        'train_dataloader.dataset.data_root=data/toy_det/JPEGImages/'
    ] + QUICK, capsys)
    assert_one_line_error(status, err, 'category_id 77', 'train.json')
    assert_untouched(work_dir)


def test_test_tool_checkpoint_of_another_model(trained, tools, capsys,
                                               run_tool, monkeypatch):
    monkeypatch.chdir(trained['cwd'])
    status, _, err = run_tool(tools['test'], [
        ONE_SHOT,
        str(trained['base_dir'] / 'iter_4.pth'), '--work-dir',
        str(trained['cwd'] / 'work_dirs/bad_test'), '--cfg-options'
    ] + QUICK, capsys)
    assert_one_line_error(status, err, 'fc_cls.weight')
    assert not osp.exists(
        trained['cwd'] / 'work_dirs/bad_test' / 'test_results.json')
