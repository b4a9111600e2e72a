"""Freezing parameters of a detector by name (fine-tuning stages)."""
from typing import List, Optional, Sequence

from mmengine.logging import print_log
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + '.')


def _all_frozen(module: nn.Module) -> bool:
    parameters = list(module.parameters())
    return bool(parameters) and not any(p.requires_grad for p in parameters)


class FrozenParametersMixin:
    """Freezes the parameters named by ``frozen_parameters``.

    Mixed into a detector before its mmdet base class
    (``class TFA(FrozenParametersMixin, TwoStageDetector)``), it adds the
    keyword argument ``frozen_parameters``: a list of parameter-name
    prefixes, each a module or a parameter of the detector as it is named in
    ``state_dict`` (``'backbone'``, ``'roi_head.bbox_head.shared_fcs'``,
    ``'roi_head.bbox_head.shared_fcs.0.weight'``). Every parameter under a
    prefix gets ``requires_grad=False``, so it receives no gradient and the
    optimizer wrapper constructor of the detection configs
    (:class:`ExcludeFrozenOptimWrapperConstructor`) leaves it out of the
    optimizer. Unlike the original toolbox, which matched names as
    substrings, a prefix must match from the start of the name, and a
    prefix that matches no parameter is an error.

    Normalisation layers whose parameters are all frozen are kept in eval
    mode whenever the detector trains (``freeze_norm_stats=True``), so their
    running statistics do not move either.

    Args:
        frozen_parameters: Prefixes of the parameters to freeze; None or an
            empty list freezes nothing.
        freeze_norm_stats: Keep normalisation layers of frozen parts in eval
            mode during training. False reproduces the original toolbox,
            whose frozen BatchNorm layers kept updating their statistics.
        *args: Arguments of the detector.
        **kwargs: Keyword arguments of the detector.

    Raises:
        ValueError: naming a prefix that matches no parameter.
    """

    def __init__(self,
                 *args,
                 frozen_parameters: Optional[Sequence[str]] = None,
                 freeze_norm_stats: bool = True,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.frozen_parameters: List[str] = []
        self._frozen_norm_layers: List[nn.Module] = []
        self.freeze_parameters(frozen_parameters, freeze_norm_stats)

    def freeze_parameters(self,
                          frozen_parameters: Optional[Sequence[str]],
                          freeze_norm_stats: bool = True) -> None:
        """Freeze the parameters under the given prefixes.

        ``__init__`` calls it once the detector is built; a detector that
        adds modules after its base class's ``__init__`` passes no
        ``frozen_parameters`` up and calls this when its modules exist.

        Args:
            frozen_parameters: Prefixes of the parameters to freeze; None
                or an empty list freezes nothing.
            freeze_norm_stats: Keep normalisation layers of frozen parts in
                eval mode during training.

        Raises:
            ValueError: naming a prefix that matches no parameter.
        """
        self.frozen_parameters = list(frozen_parameters or [])
        self._frozen_norm_layers = []
        if not self.frozen_parameters:
            return
        named = dict(self.named_parameters())
        unmatched = [
            prefix for prefix in self.frozen_parameters
            if not any(_under(name, prefix) for name in named)
        ]
        if unmatched:
            raise ValueError(
                f'{type(self).__name__}: frozen_parameters {unmatched} match '
                'no parameter of the model (prefixes of names such as '
                f'{next(iter(named), "backbone.conv1.weight")!r})')
        frozen = [
            name for name in named if any(
                _under(name, prefix) for prefix in self.frozen_parameters)
        ]
        for name in frozen:
            named[name].requires_grad_(False)
        if freeze_norm_stats:
            self._frozen_norm_layers = [
                module for module_name, module in self.named_modules()
                if isinstance(module, _BatchNorm) and (any(
                    _under(module_name, prefix)
                    for prefix in self.frozen_parameters)
                                                       or _all_frozen(module))
            ]
        trained = len(named) - len(frozen)
        print_log(
            f'{type(self).__name__}: froze {len(frozen)} parameter tensors '
            f'under {self.frozen_parameters}; {trained} tensors train',
            logger='current')

    def train(self, mode: bool = True) -> nn.Module:
        """Set the training mode; normalisation layers of frozen parts stay
        in eval mode."""
        super().train(mode)
        if mode:
            for module in self._frozen_norm_layers:
                module.eval()
        return self
