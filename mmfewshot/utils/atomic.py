"""Writes that a kill cannot leave half done.

A file is written under a temporary name in its own folder, flushed to disk
and renamed onto its final name; a rename within a file system is atomic,
so readers see either the old file or the complete new one. A kill leaves at
most a temporary file behind, named ``.<name>.<pid>.<token>.tmp``, which
:func:`is_temporary_file` recognises.
"""
import contextlib
import os
import os.path as osp
import re
import uuid
from typing import IO, Iterator

_TEMPORARY = re.compile(r'^\..+\.\d+\.[0-9a-f]{8}\.tmp$')


def temporary_path(path: str) -> str:
    """A fresh temporary name beside ``path`` (same folder)."""
    folder, name = osp.split(osp.abspath(path))
    return osp.join(folder,
                    f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp')


def is_temporary_file(name: str) -> bool:
    """Whether ``name`` (a base name) is a temporary file of
    :func:`atomic_write` left by a killed process."""
    return bool(_TEMPORARY.match(name))


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
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    temporary = temporary_path(path)
    try:
        with open(temporary, mode.replace('w', 'x')) as f:
            yield f
        replace_file(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
