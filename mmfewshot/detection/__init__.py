from . import registry  # noqa: F401
from . import datasets  # noqa: F401
from . import evaluation  # noqa: F401
from . import models  # noqa: F401
from . import engine  # noqa: F401
from . import apis  # noqa: F401
