"""No CPU assumptions, checked without a GPU: ``--device`` reaches the
runner and the tools, checkpoints written on CUDA load here, and the
surgery keeps tensors on their device (the ``meta`` device stands in for
a GPU where no computation is needed)."""
import contextlib
import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.serialization
from mmengine.model import BaseModel

from mmfewshot.detection.apis.surgery import initialize_bbox_head
from mmfewshot.utils import (ConfigError, FewShotRunner,
                             load_checkpoint_strict, resolve_device)
from mmfewshot.utils.run_tools import add_run_args, apply_run_args

REPO = Path(__file__).resolve().parents[2]
PROTO_TOY = REPO / ('configs/classification/proto_net/toy/'
                    'proto-net_conv4_1xb25_toy_5way-1shot.py')


def load_script(path):
    spec = importlib.util.spec_from_file_location(
        Path(path).stem, REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def written_on_cuda():
    """``torch.save`` tags every tensor as stored on ``cuda:0``, as on a
    GPU machine: loading such a file here needs a ``map_location``."""
    original = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: 'cuda:0'
    try:
        yield
    finally:
        torch.serialization.location_tag = original


class Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, inputs, mode='loss'):
        return dict(loss=self.linear(inputs).sum())


def test_written_on_cuda_is_refused_without_map_location(tmp_path):
    """The fake is faithful: torch refuses such a file without a GPU."""
    path = tmp_path / 'cuda.pth'
    with written_on_cuda():
        torch.save(dict(state_dict=Toy().state_dict()), path)
    with pytest.raises(RuntimeError, match='on a CUDA device'):
        torch.load(path, weights_only=True)


def test_resolve_device_checks_what_this_machine_has():
    assert resolve_device('cpu') == torch.device('cpu')
    assert resolve_device(None) == torch.device(
        'cuda' if torch.cuda.is_available() else 'cpu')
    with pytest.raises(ConfigError, match="'gpu0' is not a device"):
        resolve_device('gpu0')
    with pytest.raises(ConfigError, match='--device meta: the model can run '
                       'on cpu, cuda'):
        resolve_device('meta')
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match='sees no GPU'):
            resolve_device('cuda')
    with pytest.raises(ConfigError, match='--device cuda:99'):
        resolve_device('cuda:99')


def test_run_args_put_the_device_into_the_config():
    import argparse

    from mmengine.config import Config
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    add_run_args(parser)
    cfg = apply_run_args(
        Config(), parser.parse_args(['x.py', '--device', 'cpu']), 'scope')
    assert cfg.device == 'cpu'
    assert 'device' not in apply_run_args(
        Config(), parser.parse_args(['x.py']), 'scope')
    with pytest.raises(ConfigError, match='single-process runs'):
        apply_run_args(
            Config(),
            parser.parse_args(
                ['x.py', '--device', 'cpu', '--launcher', 'pytorch']),
            'scope')


def test_runner_puts_the_model_on_cfg_device(tmp_path):
    """The config key ``device`` wins over mmengine's default device (the
    meta device shows that the model was moved by it)."""
    runner = FewShotRunner(
        model=Toy(), work_dir=str(tmp_path), cfg=dict(device='meta'))
    assert {p.device.type for p in runner.model.parameters()} == {'meta'}
    assert runner.model.data_preprocessor._device == torch.device('meta')
    default = FewShotRunner(model=Toy(), work_dir=str(tmp_path / 'default'))
    assert next(default.model.parameters()).device == torch.device(
        'cuda' if torch.cuda.is_available() else 'cpu')


def test_resume_maps_the_checkpoint_to_cfg_device(tmp_path, monkeypatch):
    runner = FewShotRunner(
        model=Toy(), work_dir=str(tmp_path), cfg=dict(device='meta'))
    seen = []

    class Stop(Exception):
        pass

    def load_checkpoint(filename, map_location='cpu', **kwargs):
        seen.append(map_location)
        raise Stop

    monkeypatch.setattr(runner, 'load_checkpoint', load_checkpoint)
    with pytest.raises(Stop):
        runner.resume('epoch_1.pth')
    with pytest.raises(Stop):
        runner.resume('epoch_1.pth', map_location='cpu')
    assert seen == ['meta', 'cpu']


def test_checkpoints_written_on_cuda_load_here(tmp_path):
    model = Toy()
    path = tmp_path / 'cuda.pth'
    with written_on_cuda():
        torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    other = Toy()
    load_checkpoint_strict(other, str(path))
    assert torch.equal(other.linear.weight, model.linear.weight)


BASE = ['circle', 'square', 'triangle']
TARGET = ['circle', 'square', 'triangle', 'star', 'diamond']


def box_head_state(classes, device, feat=6):
    rows = len(classes)
    return {
        'roi_head.bbox_head.fc_cls.weight':
        torch.randn(rows + 1, feat, device=device),
        'roi_head.bbox_head.fc_cls.bias':
        torch.randn(rows + 1, device=device),
        'roi_head.bbox_head.fc_reg.weight':
        torch.randn(4 * rows, feat, device=device),
        'roi_head.bbox_head.fc_reg.bias':
        torch.randn(4 * rows, device=device),
    }


@pytest.mark.parametrize('method', ['random_init', 'combine'])
def test_surgery_keeps_the_tensors_on_their_device(method):
    """Rows drawn or copied from a model on the CPU join base weights on
    another device (meta here) instead of failing in ``torch.cat``."""
    novel = ['star', 'diamond']
    new, changed = initialize_bbox_head(
        box_head_state(BASE, 'meta'),
        BASE,
        TARGET,
        novel,
        method=method,
        novel_state_dict=box_head_state(novel, 'cpu'),
        novel_source_classes=novel)
    assert len(changed) == 4
    assert {tensor.device.type for tensor in new.values()} == {'meta'}
    assert new['roi_head.bbox_head.fc_cls.weight'].shape == (6, 6)


def test_surgery_tool_reads_a_cuda_checkpoint_and_writes_cpu(tmp_path):
    tool = load_script('tools/detection/misc/initialize_bbox_head.py')
    src = tmp_path / 'base.pth'
    state = box_head_state(BASE, 'cpu')
    with written_on_cuda():
        torch.save(
            dict(state_dict=state, meta=dict(dataset_meta=dict(
                classes=BASE))), src)
    assert tool.main([
        '--src1',
        str(src), '--method', 'random_init', '--classes', *TARGET,
        '--device', 'cpu'
    ]) == 0
    out = torch.load(
        tmp_path / 'base_model_random_init_bbox_head.pth', weights_only=True)
    weight = out['state_dict']['roi_head.bbox_head.fc_cls.weight']
    assert torch.equal(weight[:3],
                       state['roi_head.bbox_head.fc_cls.weight'][:3])
    assert weight.device.type == 'cpu'


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='checks the error of a CPU machine')
@pytest.mark.parametrize('script, argv, prefix', [
    ('tools/classification/test.py', [str(PROTO_TOY), 'none.pth'], 'test'),
    ('tools/classification/train.py', [str(PROTO_TOY)], 'train'),
    ('tools/detection/misc/initialize_bbox_head.py',
     ['--src1', 'none.pth', '--method', 'remove'], 'initialize_bbox_head'),
    ('demo/demo_classification.py',
     [str(PROTO_TOY), 'none.pth', '--support-dir', '{support}', '--query',
      '{image}'], 'demo'),
])
def test_tools_refuse_cuda_without_a_gpu_in_one_line(script, argv, prefix,
                                                     capsys, tmp_path):
    image = tmp_path / 'support' / 'cat' / '1.png'
    image.parent.mkdir(parents=True)
    image.write_bytes(b'')
    tool = load_script(script)
    argv = [
        arg.format(support=tmp_path / 'support', image=image) for arg in argv
    ]
    with pytest.raises(SystemExit) as exit_info:
        tool.main([*argv, '--device', 'cuda'])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f'{prefix}: error: --device cuda: torch {torch.__version__} sees no '
        f'GPU (CUDA build: {torch.version.cuda or "none"})'
    ]
