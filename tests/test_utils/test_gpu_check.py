"""tools/analysis/gpu_check.py on a machine without a GPU: it refuses in
one line, and its ``--device cpu`` mode runs the same code CPU against CPU,
where the losses of the two runs must be equal."""
import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    'gpu_check', REPO / 'tools' / 'analysis' / 'gpu_check.py')
gpu_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_check)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='checks the refusal of a CPU machine')
def test_refuses_in_one_line_without_a_gpu(capsys):
    assert gpu_check.main(['--methods', 'ProtoNet']) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f'gpu_check: error: torch {torch.__version__} sees no GPU: run it '
        'where one is visible, or with --device cpu to check its code CPU '
        'against CPU'
    ]


def test_refuses_a_device_it_cannot_use(capsys):
    assert gpu_check.main(['--device', 'cuda:99']) == 2
    assert gpu_check.main(['--device', 'cpu', '--reference-device',
                           'tpu']) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "gpu_check: error: --reference-device 'tpu' is not a device (cpu, "
        "cuda, cuda:1, ...)")


def test_methods_name_their_configs():
    names = [method.name for method in gpu_check.METHODS]
    assert len(set(names)) == len(names)
    sides = [method.side for method in gpu_check.METHODS]
    assert sides.count('cls') == 8 and sides.count('det') >= 6
    for method in gpu_check.METHODS:
        assert (REPO / method.config).is_file(), method


def test_relative_difference():
    assert gpu_check.relative_difference([1.0, 2.2],
                                         [1.0, 2.0]) == pytest.approx(0.1)
    assert gpu_check.relative_difference([1.0], [1.0]) == 0
    assert gpu_check.relative_difference([float('nan')], [1.0]) == math.inf


def test_retarget_moves_the_data_and_drops_the_workers():
    cfg = dict(
        data_root='data/toy_det/',
        train=dict(
            ann_root='data/toy_det/few_shot_ann',
            num_workers=2,
            persistent_workers=True,
            dataset=dict(save_dataset=True, data_root='data/toy_detx')),
        model_init=dict(num_workers=1, files=['data/toy_det']))
    assert gpu_check._retarget(cfg, 'data/toy_det', '/check/toy') == dict(
        data_root='/check/toy/',
        train=dict(
            ann_root='/check/toy/few_shot_ann',
            num_workers=0,
            persistent_workers=False,
            dataset=dict(save_dataset=False, data_root='data/toy_detx')),
        model_init=dict(num_workers=0, files=['/check/toy']))


def test_without_pretrained_drops_checkpoint_inits_only():
    model = dict(
        backbone=dict(
            init_cfg=dict(type='Pretrained', checkpoint='a.pth'), depth=18),
        head=dict(init_cfg=[dict(type='Normal', std=0.01)]),
        stages=[dict(init_cfg=dict(type='PretrainedMatch', checkpoint='*'))])
    assert gpu_check._without_pretrained(model) == dict(
        backbone=dict(depth=18),
        head=dict(init_cfg=[dict(type='Normal', std=0.01)]),
        stages=[dict()])


def test_cpu_against_cpu_gives_equal_losses(tmp_path):
    """A classifier's steps, checkpoint round trip and meta test, twice on
    the CPU: the check's comparison finds no difference at all."""
    out = tmp_path / 'results.json'
    assert gpu_check.main([
        '--device', 'cpu', '--methods', 'ProtoNet', '--iters', '2',
        '--test-tasks', '5', '--work-dir',
        str(tmp_path), '--out',
        str(out)
    ]) == 0
    results = json.loads(out.read_text())
    assert results['tools'] == []
    [row] = results['methods']
    assert row['method'] == 'ProtoNet' and row['status'] == 'ok'
    assert len(row['losses']) == 2
    assert all(math.isfinite(loss) and loss > 0 for loss in row['losses'])
    assert row['losses'] == row['reference_losses']
    assert row['loss_difference'] == 0
    assert row['throughput_unit'] == 'tasks/s' and row['throughput'] > 0
    assert 0 <= row['metrics']['accuracy_mean'] <= 100
    assert row['peak_memory_mib'] is None
    assert (tmp_path / 'ProtoNet' / 'reference_device.pth').is_file()


@pytest.mark.slow
def test_every_detector_and_the_tools_cpu_against_cpu(tmp_path):
    """The detectors (query-support model initialisation included) and the
    tools with --device, CPU against CPU (a few minutes on 2 cores)."""
    out = tmp_path / 'results.json'
    detectors = [m.name for m in gpu_check.METHODS if m.side == 'det']
    assert gpu_check.main([
        '--device', 'cpu', '--methods', 'ProtoNet', *detectors, '--iters',
        '2', '--test-tasks', '5', '--tools', '--work-dir',
        str(tmp_path), '--out',
        str(out)
    ]) == 0
    results = json.loads(out.read_text())
    for row in results['methods']:
        assert row['status'] == 'ok', row
        assert row['loss_difference'] == 0, row
    assert [run['status'] for run in results['tools']] == ['ok'] * 6
