"""An optimizer wrapper constructor that leaves frozen parameters out."""
from typing import List

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmfewshot.detection.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ExcludeFrozenOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, without the parameters that have
    ``requires_grad=False``.

    mmengine puts every parameter of the model into the optimizer, frozen
    ones included (they receive no gradient, so a step skips them). This
    constructor removes them from the parameter groups, so optimizer state,
    weight decay and learning-rate settings only ever concern the trained
    parameters (e.g. ``fc_cls`` and ``fc_reg`` in TFA fine-tuning).
    ``paramwise_cfg`` works as in mmengine.

    Raises:
        ValueError: when every parameter of the model is frozen.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        optim_wrapper = super().__call__(model)
        optimizer = optim_wrapper.optimizer
        groups: List[dict] = []
        num_frozen = 0
        for group in optimizer.param_groups:
            trained = [p for p in group['params'] if p.requires_grad]
            num_frozen += len(group['params']) - len(trained)
            if trained:
                group['params'] = trained
                groups.append(group)
        if not groups:
            module = model.module if is_model_wrapper(model) else model
            raise ValueError(
                f'every parameter of {type(module).__name__} is frozen: '
                'nothing to optimize (check `frozen_parameters`)')
        optimizer.param_groups = groups
        if num_frozen:
            num_trained = sum(len(g['params']) for g in groups)
            print_log(
                f'optimizer: {num_trained} parameter tensors; '
                f'{num_frozen} frozen ones left out',
                logger='current')
        return optim_wrapper
