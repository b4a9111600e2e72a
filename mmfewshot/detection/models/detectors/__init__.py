from .fsce import FSCE
from .mpsr import MPSR
from .tfa import TFA

__all__ = ['TFA', 'FSCE', 'MPSR']
