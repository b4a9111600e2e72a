from . import registry  # noqa: F401
from . import datasets  # noqa: F401
from . import evaluation  # noqa: F401
