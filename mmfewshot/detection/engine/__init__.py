from .optim_wrapper_constructor import ExcludeFrozenOptimWrapperConstructor

__all__ = ['ExcludeFrozenOptimWrapperConstructor']
