"""What the train/test tools of both sides share: common arguments, run
settings applied to a config, runner construction and user-facing errors."""
import argparse
import contextlib
import os.path as osp
import sys
from typing import Iterator, NoReturn, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .config import check_optimizer_type, constructor_errors
from .device import resolve_device
from .dist_utils import default_backend
from .errors import ConfigError, InputError
from .runner import FewShotRunner


class CfgOptionsAction(DictAction):
    """``--cfg-options key=value ...``: mmengine's ``DictAction`` that
    refuses an item without ``=`` (or with an empty key) as a usage error
    naming it."""

    def __call__(self,
                 parser: argparse.ArgumentParser,
                 namespace: argparse.Namespace,
                 values: Optional[Sequence[str]],
                 option_string: Optional[str] = None) -> None:
        for item in values or ():
            key, equals, _ = item.partition('=')
            if not equals or not key.strip():
                parser.error(f'{option_string or "--cfg-options"}: {item!r} '
                             'is not key=value')
        super().__call__(parser, namespace, values, option_string)


def add_cfg_options_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--cfg-options`` (overrides of config keys) to ``parser``."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config as key=value pairs; nested '
        'keys are joined by dots, e.g. test_dataloader.dataset.num_episodes='
        '100')


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """Arguments every train/test tool takes."""
    parser.add_argument(
        '--work-dir',
        help='directory for logs, checkpoints '
        'and results (default: ./work_dirs/<config name>)')
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--device',
        help='where the model runs: cpu, cuda, cuda:1, ... (default: CUDA '
        'when torch sees a GPU, else the CPU); a single-process run only: '
        'with --launcher every process uses the GPU of its rank')
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


def add_train_args(parser: argparse.ArgumentParser) -> None:
    """Arguments every training tool takes besides :func:`add_run_args`:
    ``--resume [CKPT]``, ``--seed`` and ``--deterministic``."""
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume training: from the newest intact checkpoint in the '
        'work dir when no path is given, else from the given checkpoint')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic CUDA algorithms (slower)')


def apply_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Resume and randomness settings from :func:`add_train_args`.

    Raises:
        FileNotFoundError: ``--resume CKPT`` names a missing file.
    """
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(
                f'checkpoint to resume from not found: {args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume
    if args.seed is not None or args.deterministic:
        randomness = cfg.setdefault('randomness', {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['deterministic'] = args.deterministic
    return cfg


def apply_run_args(cfg: Config, args: argparse.Namespace,
                   scope: str) -> Config:
    """Settings of a run that come from the command line.

    ``--device`` becomes the config key ``device``, where
    :class:`~mmfewshot.utils.runner.FewShotRunner` puts the model.

    Raises:
        ConfigError: a ``--device`` that is unusable here, or given with a
            launcher.
    """
    cfg.setdefault('default_scope', scope)
    device = getattr(args, 'device', None)
    if device is not None:
        if args.launcher != 'none':
            raise ConfigError(
                '--device is for single-process runs: with --launcher every '
                'process uses the GPU of its rank (choose them with '
                'CUDA_VISIBLE_DEVICES)')
        device = resolve_device(device)
        if device.type == 'cuda' and device.index is not None:
            torch.cuda.set_device(device)
        cfg.device = str(device)
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
    """The runner of ``cfg``: ``runner_type`` when the config names one,
    else a :class:`~mmfewshot.utils.runner.FewShotRunner` (atomic
    checkpoints, honest and fast resume, one-line constructor errors).

    Raises:
        ConfigError: naming the config key when a constructor refuses an
            argument the config gives (or lacks one it needs), or when the
            optimizer type is not registered.
    """
    check_optimizer_type(cfg)
    with constructor_errors(cfg):
        if 'runner_type' in cfg:
            return RUNNERS.build(cfg)
        return FewShotRunner.from_cfg(cfg)


def _is_registry_miss(error: KeyError) -> bool:
    return 'registry' in str(error)


def user_message(error: BaseException) -> str:
    """The message of a user error in one line.

    An error raised in a dataloader worker reaches the main process as a
    copy whose message is the worker's traceback; its last line holds the
    original message.
    """
    message = str(error.args[0]) if error.args else str(error)
    if 'Original Traceback' in message:
        last = message.strip().splitlines()[-1]
        name = type(error).__name__
        for prefix in (f'{type(error).__module__}.{name}: ', f'{name}: '):
            if last.startswith(prefix):
                last = last[len(prefix):]
                break
        return last
    lines = message.strip().splitlines()
    return lines[0] if lines else type(error).__name__


@contextlib.contextmanager
def user_errors(tool: Optional[str] = None) -> Iterator[None]:
    """Report mistakes of the user as one line and exit with status 2.

    Covers every :class:`~mmfewshot.utils.errors.InputError` (a bad config
    or override, data that cannot be used, a damaged or unfitting
    checkpoint, also when raised in a dataloader worker), a missing file
    and an unknown ``type``. The line reads ``<tool>: error: <message>``.
    Anything else propagates with its traceback.
    """
    prefix = f'{tool}: ' if tool else ''

    def fail(message: str) -> NoReturn:
        print(f'{prefix}error: {message}', file=sys.stderr, flush=True)
        sys.exit(2)

    try:
        yield
    except (InputError, FileNotFoundError) as error:
        fail(user_message(error))
    except KeyError as error:
        if not _is_registry_miss(error):
            raise
        fail(user_message(error))
