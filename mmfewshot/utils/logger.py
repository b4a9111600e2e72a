import logging
from typing import Optional, Union

from mmengine.logging import MMLogger

LOGGER_NAME = 'mmfewshot'


def get_root_logger(log_file: Optional[str] = None,
                    log_level: Union[int, str] = logging.INFO) -> MMLogger:
    """The ``mmfewshot`` logger, created on first use.

    Code that runs inside an mmengine Runner should log with
    ``print_log(msg, logger='current')`` so that messages reach the run's log
    file; this logger is for standalone tools and scripts.

    Args:
        log_file: Optional file the logger also writes to (only applied when
            the logger is created).
        log_level: Logging level, e.g. ``logging.INFO`` or ``'INFO'``.
    """
    return MMLogger.get_instance(
        LOGGER_NAME,
        logger_name=LOGGER_NAME,
        log_file=log_file,
        log_level=log_level)
