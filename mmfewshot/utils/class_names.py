"""Class lists as users write them: a list, a classes file or one name.

A string is never iterated character by character: ``novel_classes='10'``
is the class ``'10'``, not the classes ``'1'`` and ``'0'``.
"""
import os.path as osp
from typing import Any, Optional, Tuple

from .errors import ConfigError


def read_classes_file(path: str, key: str, owner: str) -> Tuple[str, ...]:
    """The class names of a text file, one a line.

    Blank lines and the spaces around a name are left out; a UTF-8 byte
    order mark is read as such.

    Args:
        path: The file.
        key: The setting that names the file, for messages.
        owner: Who reads it, for messages.

    Returns:
        The names in file order.

    Raises:
        ConfigError: when the file names no class.
    """
    with open(path, encoding='utf-8-sig') as names:
        classes = tuple(line.strip() for line in names if line.strip())
    if not classes:
        raise ConfigError(f'{owner}: `{key}` file {path} names no class')
    return classes


def as_class_names(value: Any,
                   key: str,
                   owner: str,
                   allow_none: bool = True) -> Optional[Tuple[str, ...]]:
    """A class list from a setting.

    Args:
        value: A list or tuple of class names; a string naming an existing
            file (a classes file, one name a line); any other string is one
            class name. ``None`` passes through when ``allow_none``.
        key: The setting, for messages (e.g. ``'novel_classes'``).
        owner: Who reads it, for messages.
        allow_none: Whether ``None`` is a valid value.

    Returns:
        The class names, or None.

    Raises:
        ConfigError: naming ``key`` when the value is not a class list, an
            element is not a string (e.g. ``[10]`` for the class ``'10'``)
            or a name is empty.
    """
    if value is None:
        if allow_none:
            return None
        raise ConfigError(f'{owner}: `{key}` must name classes, got None')
    if isinstance(value, str):
        path = osp.expanduser(value)
        if osp.isfile(path):
            return read_classes_file(path, key, owner)
        classes: Tuple[Any, ...] = (value, )
    elif isinstance(value, (list, tuple)):
        classes = tuple(value)
    else:
        raise ConfigError(
            f'{owner}: `{key}` must be a list of class names, a classes '
            f'file or one class name, got {type(value).__name__} {value!r}')
    for name in classes:
        if not isinstance(name, str):
            raise ConfigError(
                f'{owner}: `{key}` holds {name!r} ({type(name).__name__}); '
                f"class names are strings (write '{name}')")
        if not name.strip():
            raise ConfigError(f'{owner}: `{key}` holds an empty class name')
    return classes
