"""The state of the global random generators a model draws from.

Dropout, the sampling of proposals inside detection heads and the random
initialisation of fine-tuned layers draw from Python's ``random``, numpy's
global generator, torch's CPU generator and the CUDA generator of the
process's device. :func:`get_random_state` captures all four in plain
values (lists, numbers and tensors, which checkpoints loaded with
``weights_only=True`` accept) and :func:`set_random_state` puts them back,
so a resumed run continues the random draws of the run it resumes.
"""
import contextlib
import random
from typing import Any, Dict, Iterator

import numpy as np
import torch

RandomState = Dict[str, Any]


def _cuda_in_use() -> bool:
    return torch.cuda.is_available() and torch.cuda.is_initialized()


def get_random_state() -> RandomState:
    """The states of Python's, numpy's, torch's and (when initialised) the
    current CUDA device's global generators."""
    name, key, position, has_gauss, gauss = np.random.get_state()
    state: RandomState = dict(
        python=random.getstate(),
        numpy=dict(
            name=str(name),
            key=torch.from_numpy(np.asarray(key, dtype=np.int64)),
            position=int(position),
            has_gauss=int(has_gauss),
            gauss=float(gauss)),
        torch=torch.get_rng_state())
    if _cuda_in_use():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def set_random_state(state: RandomState) -> None:
    """Give the global generators the states of :func:`get_random_state`.

    The CUDA state is set when the state holds one and CUDA is in use.
    """
    python_state = state['python']
    random.setstate((python_state[0], tuple(python_state[1]), python_state[2]))
    numpy_state = state['numpy']
    np.random.set_state(
        (numpy_state['name'], numpy_state['key'].numpy().astype(np.uint32),
         numpy_state['position'], numpy_state['has_gauss'],
         numpy_state['gauss']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and _cuda_in_use():
        torch.cuda.set_rng_state(state['cuda'])


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Run a block and give the global generators back the states they had
    before it, as if it had drawn nothing."""
    state = get_random_state()
    try:
        yield
    finally:
        set_random_state(state)
