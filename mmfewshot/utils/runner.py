"""The runner of the train/test tools: mmengine's, with checkpoints that a
kill cannot damage and a resume that says what it does and skips training
data without loading it.

:func:`mmfewshot.utils.build_runner` builds a :class:`FewShotRunner` (unless
the config names a ``runner_type``), so every tool built on it gets:

- **atomic checkpoints**: a checkpoint is written under a temporary name
  and renamed onto its final name, so a kill at any moment leaves the
  previous file intact (mmengine writes in place, and re-writes the step
  checkpoint after every new best one);
- **honest resume**: ``resume=True`` without ``load_from`` takes the newest
  checkpoint of the work dir that is intact, naming each damaged one it
  skips; a damaged ``load_from`` is an error naming it; the log names the
  checkpoint and iteration resumed from, or says that there is nothing to
  resume from and training starts at the beginning; files of saves a kill
  interrupted are removed when the runner starts;
- **a chosen device**: the config key ``device`` (``--device`` of the
  tools) puts the model on that device instead of mmengine's default
  (CUDA when available) in a single-process run, and resume loads the
  optimizer state there;
- **the same random draws**: checkpoints hold the random state of every
  process (Python, numpy, torch, CUDA), which resume restores, and
  validation leaves the generators of training as it found them, so the
  model's random draws (dropout, sampling inside the heads) after a resume
  are those of the uninterrupted run;
- **fast-forward**: with an iteration-based loop (``IterBasedTrainLoop`` or
  a subclass that keeps its ``run``), the training dataloader becomes a
  :class:`~mmfewshot.utils.batch_stream.BatchStream` (or, for the paired
  dataloaders of the detection side, any object with ``fast_forward`` and
  ``set_seed``); resuming at iteration ``N`` replays the sampler to batch
  ``N`` instead of loading ``N`` batches, and the batches that follow equal
  those of an uninterrupted run.
"""
import os
import os.path as osp
import re
from typing import Any, Iterator, List, Optional, Union

from mmengine.config import Config
from mmengine.dist import all_gather_object, is_main_process
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper, revert_sync_batchnorm
from mmengine.registry import LOOPS
from mmengine.runner import IterBasedTrainLoop, Runner
from mmengine.runner.loops import BaseLoop

from .atomic import remove_stale_temporaries, replace_file, temporary_path
from .batch_stream import BatchStream, is_streamable
from .checkpoint import checkpoint_problem, read_checkpoint_errors
from .config import constructor_errors
from .errors import CheckpointError
from .random_state import RandomState, get_random_state, set_random_state

_NUMBERED_CHECKPOINT = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')
# the key of the processes' random states in a checkpoint's ``meta``
RANDOM_STATES_KEY = 'random_states'


def resume_candidates(work_dir: str) -> List[str]:
    """Checkpoints to resume from, newest first: the one ``last_checkpoint``
    names, then ``iter_<n>.pth`` / ``epoch_<n>.pth`` of ``work_dir`` by
    decreasing ``n``. Best checkpoints hold no optimizer state and are not
    candidates."""
    candidates = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named:
            candidates.append(named)
    numbered = []
    if osp.isdir(work_dir):
        for name in os.listdir(work_dir):
            match = _NUMBERED_CHECKPOINT.match(name)
            if match:
                numbered.append((int(match.group(1)), name))
    for _, name in sorted(numbered, reverse=True):
        path = osp.join(work_dir, name)
        if not any(osp.abspath(path) == osp.abspath(c) for c in candidates):
            candidates.append(path)
    return candidates


class _StreamIterator:
    """The batch iterator of an iteration-based loop over a stream.

    It serves the stream, starting a new pass whenever one ends (the stream
    sets the sampler's epoch itself). ``IterBasedTrainLoop.run`` of a
    resumed run draws (and discards) one batch for every iteration already
    done before it trains; the first ``skipped`` draws are answered without
    loading anything, as the stream has been fast-forwarded there.
    """

    def __init__(self, loader: Any, skipped: int) -> None:
        self._loader = loader
        self._skipped = skipped
        self._batches: Optional[Iterator[Any]] = None

    def __iter__(self) -> '_StreamIterator':
        return self

    def __next__(self) -> Any:
        if self._skipped:
            self._skipped -= 1
            return None
        if self._batches is not None:
            batch = next(self._batches, _END)
            if batch is not _END:
                return batch
        self._batches = iter(self._loader)
        return next(self._batches)


_END = object()


def _is_iteration_based(loop: Union[BaseLoop, dict]) -> bool:
    """Whether a train loop config builds an iteration-based loop."""
    loop_type = loop.get('type')
    if loop_type is None:
        return not loop.get('by_epoch', True)
    if isinstance(loop_type, str):
        with LOOPS.switch_scope_and_registry(None) as registry:
            loop_type = registry.get(loop_type)
    return isinstance(loop_type, type) and issubclass(loop_type,
                                                      IterBasedTrainLoop)


class ValidationRandomStateHook(Hook):
    """Validation leaves the random generators of training as it found
    them: a validation that draws random numbers (a fine-tuned head of a
    meta test, a support set shuffled) does not change what training draws
    afterwards, so a resumed run, which does not repeat the validation done
    at its checkpoint, draws what the uninterrupted run draws."""

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._state: Optional[RandomState] = None

    def before_val(self, runner: Runner) -> None:
        """Keep the state of the generators."""
        self._state = get_random_state()

    def after_val(self, runner: Runner) -> None:
        """Give the generators back their state."""
        if self._state is not None:
            set_random_state(self._state)
            self._state = None


class FewShotRunner(Runner):
    """mmengine's ``Runner`` with atomic checkpoints, honest resume and a
    resume that fast-forwards the training data (see the module docstring).

    It takes the arguments of ``Runner`` and is built from a config the
    same way (:meth:`from_cfg`).
    """

    # whether the training stream has been seeded and moved to the loop's
    # iteration (done once, by the first load_or_resume after the train
    # loop is built)
    _stream_placed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register_hook(ValidationRandomStateHook(), 'VERY_HIGH')
        if is_main_process():
            removed = remove_stale_temporaries(self.work_dir)
            if removed:
                self.logger.warning(
                    f'removed from {self.work_dir} the files of interrupted '
                    f'saves: {", ".join(removed)}')

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'FewShotRunner':
        """Build the runner from a config, as mmengine does.

        ``cfg.train_dataloader`` may be a dataloader object built before
        the runner (the paired loaders of few-shot detection): the runner
        trains on it, while the logged and dumped config show the config it
        was built from (its ``config`` attribute).
        """
        loader = cfg.get('train_dataloader')
        if loader is None or isinstance(loader, dict):
            return super().from_cfg(cfg)
        cfg.train_dataloader = dict(getattr(loader, 'config', None) or {})
        try:
            runner = super().from_cfg(cfg)
        finally:
            cfg.train_dataloader = loader
        runner._train_dataloader = loader
        return runner

    # ------------------------------------------------------------- runs
    def train(self) -> Any:
        """Train; a constructor refusing a config key is a ConfigError
        naming the key."""
        with constructor_errors(self.cfg):
            return super().train()

    def val(self) -> dict:
        """Validate (constructor errors as in :meth:`train`)."""
        with constructor_errors(self.cfg):
            return super().val()

    def test(self) -> dict:
        """Test (constructor errors as in :meth:`train`)."""
        with constructor_errors(self.cfg):
            return super().test()

    # ------------------------------------------------------------ device
    def wrap_model(self, model_wrapper_cfg: Optional[dict],
                   model: Any) -> Any:
        """Put the model on ``cfg.device`` in a single-process run (as
        mmengine's non-distributed branch does, with its device); else as
        mmengine does."""
        device = self.cfg.get('device')
        if device is None or self.distributed or is_model_wrapper(model):
            return super().wrap_model(model_wrapper_cfg, model)
        self.logger.info(f'the model runs on {device}')
        return revert_sync_batchnorm(model.to(device))

    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Any = 'default') -> None:
        """Resume as mmengine does; the default ``map_location`` is the
        model's device when ``cfg.device`` chose it."""
        if map_location == 'default' and self.cfg.get('device'):
            map_location = self.cfg.device
        super().resume(filename, resume_optimizer, resume_param_scheduler,
                       map_location)

    # ---------------------------------------------------------- training
    def build_train_loop(self, loop: Union[BaseLoop, dict]) -> BaseLoop:
        """Build the train loop; an iteration-based one gets its
        dataloader as a stream that resume can fast-forward."""
        if isinstance(loop, dict) and _is_iteration_based(loop):
            loader = self._train_dataloader
            if isinstance(loader, dict):
                loader = self.build_dataloader(
                    loader,
                    seed=self.seed,
                    diff_rank_seed=self._randomness_cfg.get(
                        'diff_rank_seed', False))
            if is_streamable(loader):
                loader = BatchStream(loader, seed=self.seed)
            self._train_dataloader = loader
        return super().build_train_loop(loop)

    def load_or_resume(self) -> None:
        """Load or resume a checkpoint as ``load_from`` / ``resume`` ask,
        saying which; then seed and position the training stream."""
        if self._has_loaded:
            return None
        resumed_from = None
        if self._resume:
            resumed_from = self._choose_resume_checkpoint()
            if resumed_from is None:
                self._resume = False
            else:
                self._load_from = resumed_from
        try:
            super().load_or_resume()
        except read_checkpoint_errors() as error:
            if '://' in str(self._load_from):
                raise
            problem = checkpoint_problem(self._load_from)
            if problem is None:
                raise
            raise CheckpointError(
                f'checkpoint {self._load_from} {problem}') from error
        if resumed_from is not None:
            self.logger.info(f'resumed from {resumed_from} at iteration '
                             f'{self.iter} (epoch {self.epoch})')
            self._restore_random_state(resumed_from)
        self._position_train_stream()

    def _choose_resume_checkpoint(self) -> Optional[str]:
        """The checkpoint to resume from, or None when there is none."""
        if self._load_from is not None:
            problem = checkpoint_problem(self._load_from)
            if problem is not None:
                raise CheckpointError(f'cannot resume: checkpoint '
                                      f'{self._load_from} {problem}')
            return self._load_from
        for candidate in resume_candidates(self.work_dir):
            problem = checkpoint_problem(candidate)
            if problem is None:
                return candidate
            self.logger.warning(
                f'not resuming from {candidate}: it {problem}; trying an '
                'older checkpoint')
        self.logger.warning(
            f'resume: no intact checkpoint in {self.work_dir} to resume '
            'from; training starts at the beginning')
        return None

    def _position_train_stream(self) -> None:
        """Seed the training stream and move it to the loop's iteration,
        once, when the train loop is built."""
        if self._stream_placed or self._train_loop is None or isinstance(
                self._train_loop, dict):
            return
        self._stream_placed = True
        loop = self.train_loop
        loader = loop.dataloader
        if hasattr(loader, 'set_seed'):
            loader.set_seed(self.seed)
        if not isinstance(loop, IterBasedTrainLoop):
            return
        if (hasattr(loader, 'fast_forward')
                and type(loop).run is IterBasedTrainLoop.run
                and loader.fast_forward(loop.iter)):
            loop.dataloader_iterator = _StreamIterator(loader, loop.iter)
            if loop.iter:
                self.logger.info(f'moved the training data to iteration '
                                 f'{loop.iter} without loading it')
        elif loop.iter:
            self.logger.warning(
                f'the training data of {type(loader).__name__} cannot be '
                f'fast-forwarded: {loop.iter} batches are loaded to skip '
                'them')

    # ------------------------------------------------------- checkpoints
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """Save a checkpoint as mmengine does, with the random state of
        every process in its ``meta``, atomically on a local disk: a kill
        while saving leaves the previous file of that name intact.

        Every process must call it (mmengine's ``CheckpointHook`` does): the
        random states are gathered from all of them, the main process
        writes.

        Args: as ``Runner.save_checkpoint``.
        """
        meta = dict(meta or {})
        meta[RANDOM_STATES_KEY] = self._gather_random_states()
        if not is_main_process():
            return
        kwargs = dict(
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            backend_args=backend_args)
        backend = get_file_backend(out_dir, backend_args=backend_args)
        if file_client_args is not None or not isinstance(
                backend, LocalBackend):
            super().save_checkpoint(out_dir, filename, file_client_args,
                                    **kwargs)
            return
        path = osp.join(out_dir, filename)
        temporary = temporary_path(path)
        try:
            super().save_checkpoint(out_dir, osp.basename(temporary), None,
                                    **kwargs)
            replace_file(temporary, path)
        except BaseException:
            if osp.exists(temporary):
                os.remove(temporary)
            raise

    def _gather_random_states(self) -> List[RandomState]:
        """The random state of every process, by rank."""
        state = get_random_state()
        if self.world_size == 1:
            return [state]
        return all_gather_object(state)

    def load_checkpoint(self, filename: str, *args: Any,
                        **kwargs: Any) -> dict:
        """Load a checkpoint as mmengine does and keep the random states it
        carries for :meth:`load_or_resume`.

        Args: as ``Runner.load_checkpoint``.
        """
        checkpoint = super().load_checkpoint(filename, *args, **kwargs)
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        self._checkpoint_random_states = (meta or {}).get(RANDOM_STATES_KEY)
        return checkpoint

    def _restore_random_state(self, checkpoint: str) -> None:
        """Give the generators of this process the state its rank had when
        the resumed checkpoint was saved."""
        states = getattr(self, '_checkpoint_random_states', None)
        if states is None:
            self.logger.warning(
                f'{checkpoint} holds no random state (saved by another '
                'runner): the random draws of the model (dropout, sampling '
                'in the heads) differ from those of an uninterrupted run')
        elif len(states) != self.world_size:
            self.logger.warning(
                f'{checkpoint} holds the random states of {len(states)} '
                f'processes, this run has {self.world_size}: the random '
                'state is not restored')
        else:
            set_random_state(states[self.rank])
            self.logger.info('restored the random state of every process '
                             f'from {checkpoint}')
