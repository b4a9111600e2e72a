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


@pytest.fixture(scope='session')
def run_tool() -> Callable:
    """``run_tool(module, argv, capsys)``: run a tool's ``main`` in this
    process and return ``(exit status, stdout, stderr)``.

    Loggers of earlier runs in this process write to streams of earlier
    tests; the run starts without them, as a fresh process does.
    """
    from mmengine.logging import MMLogger

    def run(module: ModuleType, argv: list, capsys) -> tuple:
        MMLogger._instance_dict.clear()
        capsys.readouterr()
        try:
            status = module.main(argv) or 0
        except SystemExit as error:
            status = error.code
        out, err = capsys.readouterr()
        return status, out, err

    return run
