"""What the train/test tools of both sides share: common arguments, run
settings applied to a config, runner construction and user-facing errors."""
import argparse
import contextlib
import os.path as osp
import sys
from typing import Iterator, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .config import ConfigError
from .dist_utils import default_backend


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """Arguments every train/test tool takes."""
    parser.add_argument(
        '--work-dir',
        help='directory for logs, checkpoints '
        'and results (default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config as key=value pairs; nested '
        'keys are joined by dots, e.g. test_dataloader.dataset.num_episodes='
        '100')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher for multi-process runs')
    # torchrun passes --local-rank (or --local_rank) to older-style scripts
    parser.add_argument(
        '--local-rank',
        '--local_rank',
        type=int,
        default=0,
        help=argparse.SUPPRESS)


def apply_run_args(cfg: Config, args: argparse.Namespace,
                   scope: str) -> Config:
    """Settings of a run that come from the command line."""
    cfg.setdefault('default_scope', scope)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.launcher = args.launcher
    if args.launcher != 'none':
        env_cfg = cfg.setdefault('env_cfg', {})
        dist_cfg = env_cfg.setdefault('dist_cfg', {})
        if not torch.cuda.is_available():
            dist_cfg['backend'] = 'gloo'
        else:
            dist_cfg.setdefault('backend', default_backend())
        cfg.setdefault('model_wrapper_cfg', dict(type='MMFewShotDDP'))
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The runner of ``cfg`` (``runner_type`` when given)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def _is_registry_miss(error: KeyError) -> bool:
    return 'registry' in str(error)


@contextlib.contextmanager
def user_errors(tool: Optional[str] = None) -> Iterator[None]:
    """Report mistakes of the user as one line and exit with status 2.

    Covers a bad config or override, a missing file (config, dataset,
    checkpoint), an unknown ``type`` and a checkpoint that does not fit the
    model. Anything else propagates with its traceback.
    """
    prefix = f'{tool}: ' if tool else ''

    def fail(message: str) -> None:
        print(f'{prefix}error: {message}', file=sys.stderr, flush=True)
        sys.exit(2)

    try:
        yield
    except (ConfigError, FileNotFoundError) as error:
        fail(str(error))
    except KeyError as error:
        if not _is_registry_miss(error):
            raise
        message = str(error.args[0]) if error.args else str(error)
        fail(message.splitlines()[0])
