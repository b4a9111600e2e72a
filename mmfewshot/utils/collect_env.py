from collections import OrderedDict
from importlib.metadata import PackageNotFoundError, version
from typing import Dict

from mmengine.utils.dl_utils import collect_env as collect_base_env

import mmfewshot


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return 'not installed'


def _mmcv_ops_info() -> Dict[str, str]:
    """Whether mmcv's compiled ops load, and what they were built with."""
    try:
        from mmcv.ops import get_compiler_version, get_compiling_cuda_version
        return OrderedDict([
            ('MMCV ops', 'compiled'),
            ('MMCV ops compiler', get_compiler_version()),
            ('MMCV ops CUDA', get_compiling_cuda_version()),
        ])
    except Exception as error:  # mmcv missing or built without ops
        return OrderedDict([('MMCV ops', f'not available ({error})')])


def collect_env() -> Dict[str, str]:
    """The environment: Python, torch, CUDA, compiler and library versions."""
    env_info = collect_base_env()
    env_info['MMCV'] = _package_version('mmcv')
    env_info.update(_mmcv_ops_info())
    env_info['MMEngine'] = _package_version('mmengine')
    env_info['MMPretrain'] = _package_version('mmpretrain')
    env_info['MMDetection'] = _package_version('mmdet')
    env_info['MMFewShot'] = mmfewshot.__version__
    return env_info
