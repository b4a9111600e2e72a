"""FSCE's decay of the contrastive loss weight."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmfewshot.detection.registry import HOOKS
from mmfewshot.utils import ConfigError


@HOOKS.register_module()
class ContrastiveLossDecayHook(Hook):
    """Multiply the contrastive loss weight by ``decay_rate`` after each of
    ``decay_steps`` (FSCE).

    Before iteration ``i`` (counted from 1) the box head of the model (a
    :class:`ContrastiveBBoxHead`, with or without a DDP wrapper) gets the
    rate ``decay_rate ** #{s in decay_steps : i > s}``; it applies it when
    its ``with_weight_decay`` is set.

    Args:
        decay_steps: Iterations after which the weight decays.
        decay_rate: Factor per step. Default 0.5.

    Raises:
        ConfigError: ``decay_steps`` is not a list of iterations.
    """

    priority = 'NORMAL'

    def __init__(self,
                 decay_steps: Sequence[int],
                 decay_rate: float = 0.5) -> None:
        if not isinstance(decay_steps, (list, tuple)) or not all(
                isinstance(step, int) for step in decay_steps):
            raise ConfigError('ContrastiveLossDecayHook: decay_steps must be '
                              f'a list of iterations, got {decay_steps!r}')
        self.decay_steps = list(decay_steps)
        self.decay_rate = decay_rate

    def rate(self, iteration: int) -> float:
        """The decay rate before 0-based iteration ``iteration``."""
        passed = sum(iteration + 1 > step for step in self.decay_steps)
        return self.decay_rate**passed

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        model.roi_head.bbox_head.set_decay_rate(self.rate(runner.iter))
