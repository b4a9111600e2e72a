"""Fixtures shared by the detection tests."""
import importlib.util
import os.path as osp
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='session')
def load_script() -> Callable[[str], ModuleType]:
    """Import a script of tools/ or demo/ (a path from the repository root)
    as a module."""
    loaded = {}

    def load(path: str) -> ModuleType:
        if path not in loaded:
            name = osp.splitext(osp.basename(path))[0]
            spec = importlib.util.spec_from_file_location(name, ROOT / path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[path] = module
        return loaded[path]

    return load
