import subprocess
import sys
from pathlib import Path

import pytest

from mmfewshot.utils import ConfigError, load_config

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
    (base_dir / 'middle.py').write_text(
        "_base_ = ['./base.py']\n"
        'model = dict(depth=18)\n'
        "schedule = dict(max_epochs=10)\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./_base_/middle.py']\n"
                     'train_dataloader = dict(batch_size=4)\n')
    return child


def run_print_config(*args):
    return subprocess.run([sys.executable, str(PRINT_CONFIG), *map(str, args)],
                          capture_output=True,
                          text=True)


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
    cfg = load_config(str(config_chain), {
        'randomness.seed': 3,
        'model.frozen_stages': 1
    })
    assert cfg.randomness.seed == 3
    assert cfg.model.frozen_stages == 1
