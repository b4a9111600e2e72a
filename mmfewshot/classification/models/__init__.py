from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .backbones import __all__ as _backbones
from .classifiers import __all__ as _classifiers
from .heads import __all__ as _heads
from .losses import __all__ as _losses
from .utils import __all__ as _utils

__all__ = _backbones + _classifiers + _heads + _losses + _utils
