import subprocess
import sys
from pathlib import Path

from mmfewshot.utils import collect_env

REPO = Path(__file__).resolve().parents[2]


def test_collect_env_reports_stack_and_compiled_ops():
    env = collect_env()
    for key in ('PyTorch', 'MMCV', 'MMEngine', 'MMPretrain', 'MMDetection',
                'MMFewShot', 'GCC'):
        assert key in env, key
    assert env['MMCV'] == '2.1.0'
    assert env['MMEngine'] == '0.10.7'
    assert env['MMCV ops'] == 'compiled'


def test_collect_env_tool_prints_versions():
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'misc' / 'collect_env.py')],
        capture_output=True,
        text=True,
        check=True)
    assert 'MMCV ops: compiled' in result.stdout
    assert 'PyTorch: 2.14.1' in result.stdout
