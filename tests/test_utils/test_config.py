import contextlib
import importlib.util
import io
import types
from pathlib import Path

import pytest
import torch

from mmfewshot.utils import ConfigError, load_config
from mmfewshot.utils.config import (accepted_arguments, check_new_argument,
                                    check_optimizer_type, constructor_errors,
                                    typed_dicts)

REPO = Path(__file__).resolve().parents[2]
PRINT_CONFIG = REPO / 'tools' / 'misc' / 'print_config.py'


@pytest.fixture
def config_chain(tmp_path):
    """child.py -> middle.py -> base.py, a two-level ``_base_`` chain."""
    base_dir = tmp_path / '_base_'
    base_dir.mkdir()
    (base_dir / 'base.py').write_text(
        "model = dict(type='ResNet', depth=50, out_indices=(3, ))\n"
        "train_dataloader = dict(batch_size=32, num_workers=2)\n"
        "lr = 0.1\n")
    (base_dir / 'middle.py').write_text("_base_ = ['./base.py']\n"
                                        'model = dict(depth=18)\n'
                                        "schedule = dict(max_epochs=10)\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./_base_/middle.py']\n"
                     'train_dataloader = dict(batch_size=4)\n')
    return child


def run_print_config(*args):
    """Run ``tools/misc/print_config.py`` in this process."""
    spec = importlib.util.spec_from_file_location('print_config', PRINT_CONFIG)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(
            stderr):
        try:
            returncode = script.main([str(arg) for arg in args])
        except SystemExit as exit_info:
            returncode = exit_info.code
    return types.SimpleNamespace(
        returncode=returncode,
        stdout=stdout.getvalue(),
        stderr=stderr.getvalue())


def test_print_config_merges_two_level_chain_and_override(config_chain):
    result = run_print_config(config_chain, '--cfg-options',
                              'schedule.max_epochs=3', 'model.depth=34')
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "depth=34" in out  # override beats the middle config's 18
    assert 'batch_size=4' in out  # child beats base
    assert 'num_workers=2' in out  # kept from base
    assert 'max_epochs=3' in out
    assert 'lr = 0.1' in out


def test_load_config_values(config_chain):
    cfg = load_config(str(config_chain), {'train_dataloader.num_workers': 0})
    assert cfg.model.depth == 18
    assert cfg.model.type == 'ResNet'
    assert cfg.train_dataloader == dict(batch_size=4, num_workers=0)


def test_missing_config_file_is_one_line_error(tmp_path):
    missing = tmp_path / 'nope.py'
    result = run_print_config(missing)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(missing) in lines[0]


@pytest.mark.parametrize('option, culprit', [
    ('model.dpeth=18', "'model.dpeth'"),
    ('trian_dataloader.batch_size=2', "'trian_dataloader.batch_size'"),
    ('model.depth.value=1', "'model.depth.value'"),
    ('model.out_indices.5=1', "'model.out_indices.5'"),
])
def test_bad_cfg_options_key_is_one_line_error(config_chain, option, culprit):
    result = run_print_config(config_chain, '--cfg-options', option)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert culprit in lines[0]


def test_typo_suggests_existing_key(config_chain):
    with pytest.raises(ConfigError, match="did you mean 'depth'"):
        load_config(str(config_chain), {'model.dpeth': 18})


def test_new_keys_are_allowed(config_chain):
    cfg = load_config(
        str(config_chain), {
            'randomness.seed': 3,
            'model.frozen_stages': 1
        })
    assert cfg.randomness.seed == 3
    assert cfg.model.frozen_stages == 1


# ------------------------------------------- overrides of a real config
TOY = str(REPO / 'configs' / 'classification' / 'proto_net' / 'toy' /
          'proto-net_conv4_1xb25_toy_5way-1shot.py')


@pytest.mark.parametrize('option, message', [
    ({
        'model.backbone.dpeth': 4
    }, "'model.backbone.dpeth': Conv4 takes no argument 'dpeth'; did you "
     "mean 'depth'?"),
    ({
        'model.dpeth': 18
    }, "'model.dpeth': ProtoNet takes no argument 'dpeth'"),
    ({
        'optim_wrapper.optimizer.momentum': 0.9
    }, "Adam takes no argument 'momentum'"),
    ({
        'test_dataloader.dataset.dataset.pipeline.1.interpolatoin': 'bicubic'
    }, "'test_dataloader.dataset.dataset.pipeline.1.interpolatoin': Resize "
     "takes no argument 'interpolatoin'; did you mean 'interpolation'?"),
    ({
        'train_cfg.max_iters': 'abc'
    }, "train_cfg.max_iters='abc': expected a number, as the config has "
     '3000'),
    ({
        'optim_wrapper.optimizer.lr': '1e-3x'
    }, "optim_wrapper.optimizer.lr='1e-3x': expected a number"),
    ({
        'randomness.deterministic': 'yes'
    }, "randomness.deterministic='yes': expected true or false"),
])
def test_overrides_a_constructor_refuses_are_refused(option, message):
    with pytest.raises(ConfigError) as error:
        load_config(TOY, option)
    assert message in str(error.value)


def test_overrides_a_constructor_takes_are_added():
    cfg = load_config(
        TOY, {
            'model.backbone.flatten': False,
            'optim_wrapper.optimizer.amsgrad': True,
            'optim_wrapper.paramwise_cfg': dict(norm_decay_mult=0.),
            'test_dataloader.dataset.dataset.pipeline.1.interpolation':
            'bicubic',
            'train_dataloader.pin_memory': True,
            'train_cfg.max_iters': 1e3,
            'custom_imports': dict(imports=[]),
        })
    assert cfg.model.backbone.flatten is False
    assert cfg.optim_wrapper.optimizer.amsgrad is True
    assert cfg.train_cfg.max_iters == 1000


def test_print_config_refuses_a_new_key_of_the_model():
    result = run_print_config(TOY, '--cfg-options', 'model.dpeth=18')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "print_config: error: --cfg-options key 'model.dpeth': ProtoNet "
        "takes no argument 'dpeth'"
    ]


def test_an_override_without_equals_is_a_usage_error(config_chain):
    result = run_print_config(config_chain, '--cfg-options', 'model.depth')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(
        "error: --cfg-options: 'model.depth' is not key=value")


def test_every_argument_of_every_config_is_accepted():
    """The argument check refuses nothing that a config of the zoo gives a
    constructor (no false refusals)."""
    configs = [
        path for path in sorted((REPO / 'configs').rglob('*.py'))
        if '_base_' not in path.parts
    ]
    assert len(configs) > 50
    # (scope, type, key) -> a config that gives it
    arguments = {}
    for path in configs:
        cfg = load_config(str(path))
        scope = cfg.get('default_scope')
        for _, node in typed_dicts(cfg.to_dict()):
            if scope and isinstance(node['type'], str):
                for key in node:
                    arguments.setdefault((scope, node['type'], key), path)
    refused = []
    for (scope, type_name, key), path in sorted(arguments.items()):
        try:
            check_new_argument(key, dict(type=type_name), key, scope)
        except ConfigError as error:
            refused.append(f'{path.name}: {error}')
    assert not refused, '\n'.join(refused[:20])


def test_accepted_arguments_follow_the_kwargs_chain():

    class Base(torch.nn.Module):

        def __init__(self, depth, width=2):
            super().__init__()

    class Child(Base):

        def __init__(self, flatten=True, **kwargs):
            super().__init__(**kwargs)

    class Open:

        def __init__(self, **kwargs):
            self.kwargs = kwargs

    def function(a, b=1):
        return a + b

    def open_function(a, **kwargs):
        return a

    assert accepted_arguments(Child) == {'flatten', 'depth', 'width'}
    assert accepted_arguments(Open) is None
    assert accepted_arguments(function) == {'a', 'b'}
    assert accepted_arguments(open_function) is None


@pytest.mark.parametrize('message, key', [
    ("Conv4.__init__() got an unexpected keyword argument 'dpeth'",
     "model.backbone.dpeth: Conv4 takes no argument 'dpeth'"),
    ("EpisodicDataset.__init__() missing 1 required positional argument: "
     "'num_ways'", "train_dataloader.dataset: EpisodicDataset needs "
     "'num_ways'"),
])
def test_constructor_errors_name_the_config_key(message, key):
    cfg = dict(
        model=dict(type='ProtoNet', backbone=dict(type='Conv4', dpeth=4)),
        train_dataloader=dict(
            dataset=dict(type='EpisodicDataset', num_shots=1)))
    with pytest.raises(ConfigError) as error:
        with constructor_errors(cfg):
            raise TypeError(message)
    assert str(error.value) == key
    # a TypeError no config dict explains passes unchanged
    with pytest.raises(TypeError, match='unsupported operand'):
        with constructor_errors(cfg):
            raise TypeError("unsupported operand type(s) for +: 'int'")


@pytest.mark.parametrize('scope', ['mmfewshot_cls', 'mmfewshot_det'])
def test_an_unregistered_optimizer_is_named_with_the_closest_one(scope):
    from mmengine.config import Config
    cfg = Config(
        dict(
            default_scope=scope,
            optim_wrapper=dict(optimizer=dict(type='adamw', lr=0.1))))
    with pytest.raises(ConfigError) as error:
        check_optimizer_type(cfg)
    assert str(error.value) == (
        "optim_wrapper.optimizer.type: 'adamw' is not a registered "
        "optimizer; did you mean 'AdamW'?")
    cfg.optim_wrapper.optimizer.type = 'AdamW'
    check_optimizer_type(cfg)
