"""The device a tool runs its model on (``--device``)."""
from typing import Optional, Union

import torch
from mmengine.device import get_device

from .errors import ConfigError


def default_device() -> torch.device:
    """CUDA when torch sees a GPU (or the accelerator mmengine finds),
    else the CPU: where mmengine's runner puts a model."""
    return torch.device(get_device())


def resolve_device(device: Optional[Union[str, torch.device]] = None,
                   option: str = '--device') -> torch.device:
    """The device a ``--device`` value names, checked to be usable here.

    Args:
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``, the accelerator mmengine
            finds (e.g. ``'mps'``), or None for :func:`default_device`.
        option: The option named in the errors.

    Returns:
        The device; a CUDA device without an index is the current one.

    Raises:
        ConfigError: naming the value when it is no device, a device of
            another kind, or a GPU that torch does not see.
    """
    if device is None:
        return default_device()
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ConfigError(f'{option} {device!r} is not a device (cpu, cuda, '
                          'cuda:1, ...)') from error
    usable = {'cpu', 'cuda', get_device()}
    if resolved.type not in usable:
        raise ConfigError(f'{option} {device}: the model can run on '
                          f'{", ".join(sorted(usable))} here')
    if resolved.type == 'cuda':
        if not torch.cuda.is_available():
            raise ConfigError(
                f'{option} {device}: torch {torch.__version__} sees no GPU '
                f'(CUDA build: {torch.version.cuda or "none"})')
        count = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= count:
            raise ConfigError(f'{option} {device}: torch sees {count} '
                              f'GPU(s), cuda:0 to cuda:{count - 1}')
    return resolved
