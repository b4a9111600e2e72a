from .meta_test_loop import MetaTestLoop, MetaValLoop

__all__ = ['MetaTestLoop', 'MetaValLoop']
