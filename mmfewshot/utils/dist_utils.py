import os
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


def default_backend() -> str:
    """``nccl`` when CUDA devices are present, ``gloo`` otherwise."""
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def init_dist_env(launcher: str, backend: Optional[str] = None) -> None:
    """Join the process group of a ``pytorch`` / ``slurm`` / ``mpi`` launch.

    Unlike mmengine's ``init_dist``, a ``pytorch`` (torchrun) launch also
    works without CUDA: processes then talk over ``gloo`` on the CPU. Does
    nothing for ``launcher='none'`` or when already initialised.

    Args:
        launcher: ``none``, ``pytorch``, ``slurm`` or ``mpi``.
        backend: Communication backend; defaults to :func:`default_backend`.
    """
    if launcher == 'none' or torch_dist.is_initialized():
        return
    backend = backend or default_backend()
    if launcher == 'pytorch':
        if torch.cuda.is_available():
            torch.cuda.set_device(
                int(os.environ['LOCAL_RANK']) % torch.cuda.device_count())
        torch_dist.init_process_group(backend=backend)
    elif launcher in ('slurm', 'mpi'):
        init_dist(launcher, backend=backend)
    else:
        raise ValueError(f'unknown launcher {launcher!r}; valid: none, '
                         'pytorch, slurm, mpi')


# Registered in mmengine's root registry: the runner looks wrappers up there.
@MODEL_WRAPPERS.register_module()
class MMFewShotDDP(MMDistributedDataParallel):
    """mmengine's DistributedDataParallel wrapper that also runs on CPU.

    The runner passes ``device_ids=[LOCAL_RANK]``, which torch refuses for a
    module on the CPU; they are dropped there, so multi-process runs work
    with the ``gloo`` backend on machines without GPUs.
    """

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        parameter = next(module.parameters(), None)
        if parameter is None or parameter.device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module=module, **kwargs)
