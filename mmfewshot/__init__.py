from .utils.compat import register_checkpoint_safe_globals
from .version import __version__, version_info

register_checkpoint_safe_globals()

__all__ = ['__version__', 'version_info']
