from . import registry  # noqa: F401
from . import datasets  # noqa: F401
from . import models  # noqa: F401
