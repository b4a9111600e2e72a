"""The "Your own data" pages run as written: every shell block is executed
and every config block written, in order, on the data the pages generate.

A block whose commands all start with ``python`` runs its commands in this
process (the arguments expanded by bash: quotes, globs, ``$(...)``); any
other block runs in bash, with ``python`` meaning this interpreter. A
``{code-block}`` with a ``:caption:`` is a file the page asks the reader to
save: it is written at that path. The training and test tools get extra
``--cfg-options`` after the page's own (``TINY``): two iterations, two
meta-test tasks, no detection validation, at most 10 detections per test
image, no data workers; nothing else of the pages is changed.
"""
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / 'docs' / 'own_data'
# what the working directory of the pages links to in the repository
LINKED = ('tools', 'demo', 'configs/classification', 'configs/detection')

_NO_WORKERS = [
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False'
]
TINY: Dict[str, List[str]] = {
    'tools/classification/train.py': [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'val_dataloader.dataset.num_episodes=2',
        'test_dataloader.dataset.num_episodes=2'
    ] + _NO_WORKERS,
    'tools/classification/test.py':
    ['test_dataloader.dataset.num_episodes=2'] + _NO_WORKERS,
    'tools/detection/train.py': [
        'train_cfg.max_iters=2', 'train_cfg.val_begin=1000',
        'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=2'
    ] + _NO_WORKERS,
    # a detector trained for two steps proposes boxes everywhere: keep the
    # evaluation of its test images short
    'tools/detection/test.py':
    ['model.test_cfg.rcnn.max_per_img=10'] + _NO_WORKERS,
}

Step = Tuple[str, str, str]  # (kind, path or '', text)
# (step, CPU seconds of this process, wall seconds) of the steps run
TIMES: List[Tuple[str, float, float]] = []


def parse_page(path: Path) -> List[Step]:
    """The page's steps in order: ``('file', path, text)`` for a captioned
    code block, ``('python', '', line)`` / ``('shell', '', block)`` for a
    bash block."""
    steps: List[Step] = []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r'^(`{3,})(\S*)\s*(.*)$', lines[index])
        index += 1
        if not fence:
            continue
        ticks, info, argument = fence.groups()
        body = []
        while not lines[index].startswith(ticks):
            body.append(lines[index])
            index += 1
        index += 1
        if info == 'bash':
            steps += _shell_steps(body)
        elif info == '{code-block}':
            options = {}
            while body and body[0].startswith(':'):
                key, _, value = body.pop(0)[1:].partition(':')
                options[key.strip()] = value.strip()
            if body and not body[0].strip():
                body.pop(0)
            if 'caption' in options:
                steps.append(
                    ('file', options['caption'], '\n'.join(body) + '\n'))
    return steps


def _shell_steps(body: List[str]) -> List[Step]:
    commands, current = [], ''
    for line in body:
        current += line
        if line.endswith('\\'):
            current = current[:-1] + ' '
            continue
        if current.strip():
            commands.append(current.strip())
        current = ''
    if all(command.startswith('python ') for command in commands):
        return [('python', '', command) for command in commands]
    return [('shell', '', '\n'.join(body))]


def _expand(words: str, cwd: Path) -> List[str]:
    """Shell words as bash expands them (quotes, globs, ``$(...)``)."""
    result = subprocess.run(['bash', '-c', f'printf "%s\\0" {words}'],
                            cwd=cwd,
                            capture_output=True,
                            text=True,
                            check=True)
    return result.stdout.split('\0')[:-1]


def _with_tiny_budget(script: str, argv: List[str]) -> List[str]:
    extra = TINY.get(script)
    if not extra:
        return argv
    if '--cfg-options' not in argv:
        return argv + ['--cfg-options'] + extra
    end = argv.index('--cfg-options') + 1
    while end < len(argv) and not argv[end].startswith('--'):
        end += 1
    return argv[:end] + extra + argv[end:]


def _load(script: Path):
    name = f'docs_page_{script.stem}'
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_page(page: Path, cwd: Path, capsys) -> Dict[str, str]:
    """Run every step of ``page`` in ``cwd`` on one compute thread (as the
    demos do: small models gain nothing from more); returns the output of
    every command (keyed by its first words)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run_steps(page, cwd, capsys)
    finally:
        torch.set_num_threads(threads)


def _run_steps(page: Path, cwd: Path, capsys) -> Dict[str, str]:
    from mmengine.logging import MMLogger
    shim = cwd / '.shim'
    shim.mkdir(exist_ok=True)
    (shim / 'python').write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    (shim / 'python').chmod(0o755)
    env = dict(os.environ, PATH=f'{shim}{os.pathsep}{os.environ["PATH"]}')
    outputs = {}
    for kind, path, text in parse_page(page):
        started = time.process_time(), time.perf_counter()
        if kind == 'file':
            target = cwd / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            continue
        if kind == 'shell':
            result = subprocess.run(['bash', '-euo', 'pipefail', '-c', text],
                                    cwd=cwd,
                                    env=env,
                                    capture_output=True,
                                    text=True)
            assert result.returncode == 0, f'{text}\n{result.stderr}'
            TIMES.append((text.splitlines()[0][:60], *_elapsed(started)))
            continue
        argv = _expand(text[len('python '):], cwd)
        script, argv = argv[0], argv[1:]
        argv = _with_tiny_budget(script, argv)
        MMLogger._instance_dict.clear()
        capsys.readouterr()
        try:
            status = _load(cwd / script).main(argv) or 0
        except SystemExit as error:
            status = error.code or 0
        out, err = capsys.readouterr()
        assert status == 0, f'{shlex.join([script] + argv)}\n{err[-3000:]}'
        outputs[' '.join([script] + argv[:1])] = out
        TIMES.append((f'{script} {argv[0]}'[:60], *_elapsed(started)))
    return outputs


def _elapsed(started: Tuple[float, float]) -> Tuple[float, float]:
    return (time.process_time() - started[0], time.perf_counter() - started[1])


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """An empty working directory that sees the repository's tools, demos
    and configs, as the repository root does."""
    for name in LINKED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_page_steps_are_found():
    """The parser sees the steps the pages hold (a renamed fence would
    silently skip them)."""
    steps = parse_page(PAGES / 'classification.md')
    kinds = [kind for kind, _, _ in steps]
    assert kinds.count('file') == 2 and kinds.count('shell') == 1
    assert sum(
        text.startswith('python tools/classification/train.py')
        for _, _, text in steps) == 2
    steps = parse_page(PAGES / 'detection.md')
    assert [kind for kind, _, _ in steps].count('file') == 4
    assert sum(
        text.startswith('python tools/detection/train.py')
        for _, _, text in steps) == 4
    assert _with_tiny_budget(
        'tools/classification/test.py',
        ['a.py', 'b.pth', '--cfg-options', 'x=1', '--out', 'o.json'])[:5] == [
            'a.py', 'b.pth', '--cfg-options', 'x=1',
            'test_dataloader.dataset.num_episodes=2'
        ]


def test_classification_page_runs(workspace, capsys):
    outputs = run_page(PAGES / 'classification.md', workspace, capsys)
    work_dir = workspace / 'work_dirs/proto-net_conv4_my-chars_5way-1shot'
    assert list(work_dir.glob('best_accuracy_mean_iter_2.pth'))
    assert list((workspace / 'work_dirs/my_chars_ann').glob('iter_2.pth'))
    demo = next(out for key, out in outputs.items() if key.startswith('demo'))
    # 6 test classes, named as the class-name map names them
    assert 'support: 6 images of 6 classes' in demo
    assert re.search(r'predicted class \S+ \S', demo), demo
    assert (workspace / 'work_dirs/my_chars_demo.png').stat().st_size > 0


def test_detection_page_runs(workspace, capsys):
    outputs = run_page(PAGES / 'detection.md', workspace, capsys)
    for fmt in ('voc', 'coco'):
        base = workspace / f'work_dirs/my_shapes_{fmt}_base'
        surgered = base / 'base_model_random_init_bbox_head.pth'
        assert surgered.is_file(), fmt
        fine = workspace / f'work_dirs/my_shapes_{fmt}_5shot'
        results = (fine / 'test_results.json').read_text()
        assert 'NOVEL_CLASSES' in results, results
        saved = (fine / 'saved_dataset.json').read_text()
        assert '"ring"' in saved and '"star"' in saved
    tests = [out for key, out in outputs.items() if 'detection/test' in key]
    assert len(tests) == 2 and all('NOVEL_CLASSES' in out for out in tests)
    demo = next(out for key, out in outputs.items() if key.startswith('demo'))
    assert 'support instances of the training set: circle 5' in demo
    assert (workspace / 'work_dirs/my_shapes_demo.png').stat().st_size > 0
