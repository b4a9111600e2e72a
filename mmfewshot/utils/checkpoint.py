"""Reading checkpoints: strict loading into a model and integrity checks
that name the file."""
import os.path as osp
import pickle
import zipfile
from typing import Dict, List, Optional, Tuple, Type

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import _load_checkpoint

from .errors import CheckpointError


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose weights do not fit the model."""


def read_checkpoint_errors() -> Tuple[Type[BaseException], ...]:
    """What ``torch.load`` raises on a truncated or damaged file."""
    return (EOFError, RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile,
            OSError)


def checkpoint_problem(path: str) -> Optional[str]:
    """What is wrong with the checkpoint file ``path``, or None if nothing.

    Checks that the file exists, is not empty and is a complete zip archive
    (the format of ``torch.save``) whose members all match their CRCs,
    without unpickling anything.

    Returns:
        A phrase completing "checkpoint <path> ...", e.g. ``'is empty (0
        bytes)'``, or None for an intact file.
    """
    if not osp.isfile(path):
        return 'does not exist'
    size = osp.getsize(path)
    if size == 0:
        return 'is empty (0 bytes)'
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f'is truncated or damaged ({size} bytes: {error})'
    if damaged is not None:
        return f'is damaged (bad checksum of {damaged})'
    return None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ''


def _listing(keys: List[str], limit: int = 8) -> str:
    shown = ', '.join(keys[:limit])
    more = f' (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'{shown}{more}'


def load_checkpoint_strict(model: torch.nn.Module,
                           filename: str) -> Dict[str, object]:
    """Load a checkpoint that must fit the model exactly.

    Args:
        model: The model (a wrapper's module is used).
        filename: Checkpoint path.

    Returns:
        The checkpoint's ``meta`` dict (empty when it has none).

    Raises:
        FileNotFoundError: the file does not exist.
        CheckpointError: naming the file when it cannot be read (truncated,
            damaged, not a checkpoint).
        CheckpointMismatchError: naming the missing, unexpected and
            mis-shaped keys when the weights belong to another model.
    """
    if is_model_wrapper(model):
        model = model.module
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    try:
        checkpoint = _load_checkpoint(filename, map_location='cpu')
    except read_checkpoint_errors() as error:
        problem = checkpoint_problem(filename) or (
            f'cannot be read ({type(error).__name__}: '
            f'{_first_line(error)})')
        raise CheckpointError(f'checkpoint {filename} {problem}') from error
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'checkpoint {filename} holds a '
                              f'{type(checkpoint).__name__}, not a dict of '
                              'weights')
    state_dict = checkpoint.get('state_dict', checkpoint)
    state_dict = {
        key[len('module.'):] if key.startswith('module.') else key: value
        for key, value in state_dict.items()
    }
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mis_shaped = sorted(
        f'{key} {tuple(state_dict[key].shape)} vs {tuple(own[key].shape)}'
        for key in set(own) & set(state_dict)
        if hasattr(state_dict[key], 'shape')
        and state_dict[key].shape != own[key].shape)
    if missing or unexpected or mis_shaped:
        problems = []
        if missing:
            problems.append(f'missing keys: {_listing(missing)}')
        if unexpected:
            problems.append(f'unexpected keys: {_listing(unexpected)}')
        if mis_shaped:
            problems.append('shape mismatch (checkpoint vs model): '
                            f'{_listing(mis_shaped)}')
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not fit {type(model).__name__}: ' +
            '; '.join(problems))
    model.load_state_dict(state_dict)
    return dict(checkpoint.get('meta', {}))
