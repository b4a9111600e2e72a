"""Loading mmengine checkpoints under torch's ``weights_only`` default.

Since torch 2.6, ``torch.load`` only unpickles allow-listed globals. An
mmengine checkpoint holds, besides tensors, the message hub's
``HistoryBuffer`` objects (numpy arrays inside) and numpy scalars, so
``resume=True`` fails out of the box. Rather than switching ``weights_only``
off, exactly those globals are allow-listed when mmfewshot is imported.

A ``HistoryBuffer`` pickles its statistics methods as
``getattr(HistoryBuffer, 'mean')``. Allow-listing the builtin ``getattr``
would let a checkpoint reach any attribute of any allowed object, so the
name ``builtins.getattr`` is bound to a stand-in that only resolves methods
of ``HistoryBuffer``.
"""
from typing import Any, Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def _history_buffer_method(owner: Any, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer."""
    if owner is not HistoryBuffer or name.startswith('_'):
        raise RuntimeError(
            f'checkpoint asks for getattr({owner!r}, {name!r}); only '
            'HistoryBuffer statistics methods are allowed')
    method = getattr(HistoryBuffer, name)
    if not callable(method):
        raise RuntimeError(f'HistoryBuffer.{name} is not a method')
    return method


def _numpy_globals() -> List[Any]:
    multiarray = getattr(np, '_core', None) or np.core
    dtype_classes = [
        type(np.dtype(name))
        for name in ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                     'uint16', 'uint32', 'uint64', 'float16', 'float32',
                     'float64', 'object')
    ]
    return [
        np.ndarray, np.dtype, multiarray.multiarray._reconstruct,
        multiarray.multiarray.scalar, *dtype_classes
    ]


def checkpoint_safe_globals() -> List[Union[Any, Tuple[Any, str]]]:
    """The globals an mmengine checkpoint needs beyond torch's defaults."""
    return [
        HistoryBuffer,
        (_history_buffer_method, 'builtins.getattr'),
        *_numpy_globals(),
    ]


def register_checkpoint_safe_globals() -> None:
    """Allow-list :func:`checkpoint_safe_globals` for ``torch.load``."""
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
