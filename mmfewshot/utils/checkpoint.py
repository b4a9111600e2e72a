from typing import Dict, List

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import _load_checkpoint

from .config import ConfigError


class CheckpointMismatchError(ConfigError):
    """A checkpoint whose weights do not fit the model."""


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
        CheckpointMismatchError: naming the missing, unexpected and
            mis-shaped keys when the weights belong to another model.
    """
    if is_model_wrapper(model):
        model = model.module
    checkpoint = _load_checkpoint(filename, map_location='cpu')
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
