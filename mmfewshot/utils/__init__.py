from .collate import multi_pipeline_collate_fn
from .collect_env import collect_env
from .compat import register_checkpoint_safe_globals
from .config import ConfigError, check_cfg_options, load_config
from .infinite_sampler import DistributedInfiniteSampler, InfiniteSampler
from .local_seed import local_numpy_seed
from .logger import get_root_logger

__all__ = [
    'multi_pipeline_collate_fn', 'collect_env',
    'register_checkpoint_safe_globals', 'ConfigError', 'check_cfg_options',
    'load_config', 'DistributedInfiniteSampler', 'InfiniteSampler',
    'local_numpy_seed', 'get_root_logger'
]
