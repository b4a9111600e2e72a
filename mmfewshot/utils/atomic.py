"""Writes that a kill cannot leave half done.

A file is written under a temporary name in its own folder, flushed to disk
and renamed onto its final name; a rename within a file system is atomic,
so readers see either the old file or the complete new one. A kill leaves at
most a temporary file behind, named ``.<name>.<pid>.<token>.tmp``; the next
write of the same file, and the runner of the tools when it starts in a work
dir, remove those whose process is gone
(:func:`remove_stale_temporaries`).
"""
import contextlib
import os
import os.path as osp
import re
import uuid
from typing import IO, Iterator, List, Optional

_TEMPORARY = re.compile(r'^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$')


def temporary_path(path: str) -> str:
    """A fresh temporary name beside ``path`` (same folder)."""
    folder, name = osp.split(osp.abspath(path))
    return osp.join(folder,
                    f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp')


def is_temporary_file(name: str) -> bool:
    """Whether ``name`` (a base name) is named like a temporary file of
    :func:`atomic_write`."""
    return bool(_TEMPORARY.match(name))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(folder: str,
                             target: Optional[str] = None) -> List[str]:
    """Remove the temporary files that interrupted writes left in
    ``folder``.

    Only names of :func:`atomic_write`'s form (``.<name>.<pid>.<token>.tmp``)
    whose writing process no longer runs on this machine are removed: a
    write in progress (this process or another one) keeps its file, and
    no other file is touched.

    Args:
        folder: The folder to clean; a missing folder holds nothing.
        target: Only the temporaries of this base name (e.g.
            ``'iter_100.pth'``); None for all.

    Returns:
        The names removed, sorted.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    for name in os.listdir(folder):
        match = _TEMPORARY.match(name)
        if match is None or (target is not None and match.group(1) != target):
            continue
        if _process_alive(int(match.group(2))):
            continue
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            os.remove(osp.join(folder, name))
            removed.append(name)
    return sorted(removed)


def fsync_folder(folder: str) -> None:
    """Flush a folder's entries (a rename) to disk where the OS allows."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def replace_file(temporary: str, path: str) -> None:
    """Flush ``temporary`` to disk and rename it onto ``path``."""
    with open(temporary, 'rb+') as f:
        os.fsync(f.fileno())
    os.replace(temporary, path)
    fsync_folder(osp.dirname(osp.abspath(path)))


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'w') -> Iterator[IO]:
    """Open ``path`` for writing so that it appears only when complete.

    Example::

        with atomic_write('results.json') as f:
            json.dump(results, f)

    Args:
        path: The file to write; its folder is created if missing.
        mode: ``'w'`` (text) or ``'wb'`` (bytes).

    Yields:
        The open temporary file. If the block raises, the temporary file is
        removed and ``path`` is left as it was.
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got "
                         f'{mode!r}')
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder, name)
    temporary = temporary_path(path)
    try:
        with open(temporary, mode.replace('w', 'x')) as f:
            yield f
        replace_file(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
