from .checkpoint import CheckpointMismatchError, load_checkpoint_strict
from .collate import multi_pipeline_collate_fn
from .collect_env import collect_env
from .compat import register_checkpoint_safe_globals
from .config import ConfigError, check_cfg_options, load_config
from .dist_utils import MMFewShotDDP, default_backend, init_dist_env
from .infinite_sampler import DistributedInfiniteSampler, InfiniteSampler
from .local_seed import local_numpy_seed
from .logger import get_root_logger
from .run_tools import add_run_args, apply_run_args, build_runner, user_errors

__all__ = [
    'CheckpointMismatchError', 'load_checkpoint_strict',
    'multi_pipeline_collate_fn', 'collect_env',
    'register_checkpoint_safe_globals', 'ConfigError', 'check_cfg_options',
    'load_config', 'MMFewShotDDP', 'default_backend', 'init_dist_env',
    'DistributedInfiniteSampler', 'InfiniteSampler', 'local_numpy_seed',
    'add_run_args', 'apply_run_args', 'build_runner', 'user_errors',
    'get_root_logger'
]
