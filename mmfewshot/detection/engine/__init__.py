from .contrastive_loss_decay_hook import ContrastiveLossDecayHook
from .model_init_loops import (ModelInitData, QuerySupportTestLoop,
                               QuerySupportValLoop, check_support_classes,
                               dataset_support_set, run_model_init,
                               training_support_set)
from .optim_wrapper_constructor import ExcludeFrozenOptimWrapperConstructor
from .support_set_hook import SupportSetCheckpointHook

__all__ = [
    'ExcludeFrozenOptimWrapperConstructor', 'ContrastiveLossDecayHook',
    'QuerySupportValLoop', 'QuerySupportTestLoop', 'ModelInitData',
    'run_model_init', 'check_support_classes', 'training_support_set',
    'dataset_support_set', 'SupportSetCheckpointHook'
]
