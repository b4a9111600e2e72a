import contextlib
from typing import Iterator, Optional

import numpy as np


@contextlib.contextmanager
def local_numpy_seed(seed: Optional[int] = None) -> Iterator[None]:
    """Seed numpy's global random state inside a ``with`` block only.

    The global state is saved on entry and restored on exit, so code outside
    the block sees the random stream as if the block had never run.

    Args:
        seed: The seed used inside the block. ``None`` leaves the state
            untouched (the block then draws from the global stream).
    """
    if seed is None:
        yield
        return
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
