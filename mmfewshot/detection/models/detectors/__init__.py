from .tfa import TFA

__all__ = ['TFA']
