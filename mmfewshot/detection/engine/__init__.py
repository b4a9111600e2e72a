from .contrastive_loss_decay_hook import ContrastiveLossDecayHook
from .optim_wrapper_constructor import ExcludeFrozenOptimWrapperConstructor

__all__ = ['ExcludeFrozenOptimWrapperConstructor', 'ContrastiveLossDecayHook']
