"""A run that fails on bad input leaves the work dir as it found it."""
import contextlib
import os
import os.path as osp
import shutil
from typing import Iterator, Set

from mmengine.dist import is_main_process

from .errors import InputError


def _entries(work_dir: str) -> Set[str]:
    return set(os.listdir(work_dir)) if osp.isdir(work_dir) else set()


@contextlib.contextmanager
def clean_work_dir_on_input_error(work_dir: str) -> Iterator[None]:
    """Remove what a run added to ``work_dir`` when it stops on bad input.

    When the block raises an :class:`InputError` (or ``FileNotFoundError``)
    before the run saved a checkpoint, the entries it created in
    ``work_dir`` (its timestamped log folder, a saved few-shot dataset, the
    config dump) are removed, and so is ``work_dir`` itself if the run
    created it. Entries that existed before are kept; a run that already
    saved a checkpoint keeps everything. Only the main process removes.

    Args:
        work_dir: The run's work dir.
    """
    existed = osp.isdir(work_dir)
    before = _entries(work_dir)
    try:
        yield
    except (InputError, FileNotFoundError):
        added = _entries(work_dir) - before
        if is_main_process() and not any(
                name.endswith('.pth') for name in added):
            for name in added:
                path = osp.join(work_dir, name)
                if osp.isdir(path) and not osp.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(path)
            if not existed and not _entries(work_dir):
                with contextlib.suppress(OSError):
                    os.rmdir(work_dir)
        raise
