from .frozen_parameters import FrozenParametersMixin

__all__ = ['FrozenParametersMixin']
