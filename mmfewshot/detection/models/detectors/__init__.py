from .fsce import FSCE
from .tfa import TFA

__all__ = ['TFA', 'FSCE']
