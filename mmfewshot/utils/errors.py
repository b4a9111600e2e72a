"""The errors a user can act on.

Every error here means "the input is wrong", not "the code is wrong": the
train/test tools (:func:`mmfewshot.utils.user_errors`) print it as one line
``<tool>: error: <message>`` and exit with status 2, without a traceback. The
message must name what is at fault: the config key, the file (and line), the
class or the value.

All derive from ``ValueError``, so code that already catches a
``ValueError`` from a dataset or a config keeps working.
"""
import os.path as osp
from typing import Optional

import cv2
import numpy as np


class InputError(ValueError):
    """An input of the user (config, data, checkpoint) that cannot be used."""


class ConfigError(InputError):
    """A config file or a ``--cfg-options`` override that cannot be used."""


class DataError(InputError):
    """Data that cannot be used as the config asks: a malformed annotation,
    an image that cannot be read, an episode the classes cannot fill."""


class CheckpointError(InputError):
    """A checkpoint file that cannot be read or does not fit the model."""


class ConfigKeyError(ConfigError, KeyError):
    """A :class:`ConfigError` that names a key or name that does not exist;
    also a ``KeyError`` for callers that catch lookups."""

    def __str__(self) -> str:
        # KeyError would quote the message like a key
        return str(self.args[0]) if self.args else ''


class ConfigTypeError(ConfigError, TypeError):
    """A :class:`ConfigError` about a value of the wrong kind (e.g. a
    dataset of the wrong class); also a ``TypeError``."""


def unreadable_image(path: object) -> Optional[str]:
    """Why the image file ``path`` cannot be loaded, or None if it can.

    Names a missing file, an empty (0-byte) file and a file OpenCV cannot
    decode.
    """
    if not isinstance(path, str):
        return None
    if not osp.isfile(path):
        return f'image {path} does not exist'
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        return f'image {path} is empty (0 bytes)'
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        return f'image {path} cannot be decoded ({len(data)} bytes)'
    return None


def raise_for_unreadable_image(path: object, owner: str,
                               error: BaseException) -> None:
    """Turn a failure of a pipeline into a :class:`DataError` naming the
    image when the image itself is the cause; return otherwise.

    Args:
        path: The ``img_path`` of the record the pipeline failed on.
        owner: Who loads the record (a dataset name), for the message.
        error: The pipeline's exception, chained as the cause.
    """
    reason = unreadable_image(path)
    if reason is not None:
        raise DataError(f'{owner}: {reason}') from error
