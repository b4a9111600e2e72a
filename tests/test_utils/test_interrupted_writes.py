"""Files of atomic writes that a kill interrupted are removed on the next
start: by the runner in its work dir, by the next write of the same file;
never a file of a live write, never a file of the user."""
import os
import subprocess
import sys

import torch.nn as nn
from mmengine.model import BaseModel

from mmfewshot.utils import FewShotRunner, atomic_write


def dead_pid():
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, '-c', 'pass'])
    process.wait()
    return process.pid


class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, *args, **kwargs):
        return {}


def write_files(folder, names):
    for name in names:
        (folder / name).write_bytes(b'partial')


def test_runner_start_removes_leftovers_of_killed_saves(tmp_path):
    dead = dead_pid()
    leftovers = [
        f'.iter_4.pth.{dead}.0123abcd.tmp',
        f'.best_accuracy_iter_2.pth.{dead}.89abcdef.tmp',
        f'.results.json.{dead}.00ff00ff.tmp'
    ]
    kept = [
        # a write in progress: this process, and another live one
        f'.iter_6.pth.{os.getpid()}.0123abcd.tmp',
        f'.iter_8.pth.{os.getppid()}.0123abcd.tmp',
        # files of the user that only look alike
        '.notes.tmp',
        f'iter_4.pth.{dead}.0123abcd.tmp',
        f'.iter_4.pth.{dead}.xyz.tmp',
        f'.iter_4.pth.{dead}.0123abcd.tmp.bak',
        'iter_2.pth',
    ]
    write_files(tmp_path, leftovers + kept)
    runner = FewShotRunner(
        model=TinyModel(),
        work_dir=str(tmp_path),
        experiment_name='leftovers',
        default_scope='mmfewshot_cls')
    assert runner.work_dir == str(tmp_path)
    remaining = set(os.listdir(tmp_path))
    assert not remaining & set(leftovers)
    assert set(kept) <= remaining


def test_atomic_write_removes_leftovers_of_its_file(tmp_path):
    dead = dead_pid()
    mine = f'.split.json.{dead}.0123abcd.tmp'
    other = f'.other.json.{dead}.0123abcd.tmp'
    write_files(tmp_path, [mine, other])
    with atomic_write(str(tmp_path / 'split.json')) as f:
        f.write('{}')
    assert sorted(os.listdir(tmp_path)) == [other, 'split.json']
