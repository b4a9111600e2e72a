from .atomic import atomic_write
from .batch_stream import BatchStream
from .checkpoint import (CheckpointMismatchError, checkpoint_problem,
                         load_checkpoint_strict)
from .collate import multi_pipeline_collate_fn
from .collect_env import collect_env
from .compat import register_checkpoint_safe_globals
from .config import check_cfg_options, load_config
from .device import default_device, resolve_device
from .dist_utils import MMFewShotDDP, default_backend, init_dist_env
from .errors import (CheckpointError, ConfigError, ConfigKeyError,
                     ConfigTypeError, DataError, InputError)
from .infinite_sampler import DistributedInfiniteSampler, InfiniteSampler
from .local_seed import local_numpy_seed
from .logger import get_root_logger
from .run_tools import (add_cfg_options_arg, add_run_args, add_train_args,
                        apply_run_args, apply_train_args, build_runner,
                        user_errors)
from .runner import FewShotRunner
from .work_dir import clean_work_dir_on_input_error

__all__ = [
    'atomic_write', 'BatchStream', 'CheckpointMismatchError',
    'checkpoint_problem', 'load_checkpoint_strict',
    'multi_pipeline_collate_fn', 'collect_env',
    'register_checkpoint_safe_globals', 'check_cfg_options', 'load_config',
    'default_device', 'resolve_device',
    'MMFewShotDDP', 'default_backend', 'init_dist_env', 'CheckpointError',
    'ConfigError', 'ConfigKeyError', 'ConfigTypeError', 'DataError',
    'InputError', 'DistributedInfiniteSampler', 'InfiniteSampler',
    'local_numpy_seed', 'get_root_logger', 'add_cfg_options_arg',
    'add_run_args', 'add_train_args', 'apply_run_args', 'apply_train_args',
    'build_runner', 'user_errors', 'FewShotRunner',
    'clean_work_dir_on_input_error'
]
