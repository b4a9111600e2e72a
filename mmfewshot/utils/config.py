"""Loading configs, checking ``--cfg-options`` overrides, and naming the
config key behind a constructor's refusal."""
import contextlib
import difflib
import functools
import importlib
import inspect
import os.path as osp
import re
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import Registry

from .errors import ConfigError

# Keys of a typed dict that the builders consume before (or instead of)
# calling the constructor: scopes, optimizer wrapper constructors, hook
# priorities, schedulers converted to iterations (mmengine), a norm layer's
# ``requires_grad`` (mmcv), an init_cfg's ``override`` and its ``name``.
BUILDER_KEYS = frozenset(
    ('type', '_scope_', 'constructor', 'paramwise_cfg', 'priority',
     'convert_to_iter_based', 'requires_grad', 'override', 'name'))


def _describe(value: Any) -> str:
    return 'None' if value is None else type(value).__name__


def _check_value_kind(key: str, old: Any, new: Any) -> None:
    """Refuse an override that puts a word where the config has a number
    or a flag (``max_iters=abc``, ``lr=1e-3x``)."""
    if new is None or old is None:
        return
    if isinstance(old, bool):
        if not isinstance(new, bool):
            raise ConfigError(
                f'--cfg-options {key}={new!r}: expected true or false, as '
                f'the config has {old}')
    elif isinstance(old, (int, float)):
        if isinstance(new, bool) or not isinstance(new, (int, float)):
            raise ConfigError(
                f'--cfg-options {key}={new!r}: expected a number, as the '
                f'config has {old!r}')


@functools.lru_cache(maxsize=None)
def registry_objects(name: str, scope: str) -> Tuple[Any, ...]:
    """Everything registered as ``name`` in the registries of ``scope``
    (the registries of the module ``<scope>.registry``, as mmengine finds
    them) or their parents, e.g. both a model and a transform of that name.
    An unknown scope has no registries."""
    try:
        module = importlib.import_module(f'{scope}.registry')
    except ImportError:
        return ()
    found: List[Any] = []
    for registry in vars(module).values():
        if not isinstance(registry, Registry):
            continue
        obj = registry.get(name)
        if obj is not None and all(obj is not other for other in found):
            found.append(obj)
    return tuple(found)


def accepted_arguments(obj: Any) -> Optional[Set[str]]:
    """The keyword arguments a class (its ``__init__`` chain) or function
    takes; None when it takes any or cannot be told.

    An ``__init__`` with ``**kwargs`` is taken to pass them to the next
    ``__init__`` of the method resolution order; a chain that ends in
    ``object`` counts as open, one that ends in ``torch.nn.Module`` (which
    refuses unknown keywords) as closed.
    """
    if not inspect.isclass(obj):
        if not callable(obj):
            return None
        functions = [obj]
    else:
        functions = []
        for klass in obj.__mro__:
            if klass is object:
                return None
            if klass is torch.nn.Module:
                break
            if '__init__' in vars(klass):
                functions.append(vars(klass)['__init__'])
                try:
                    parameters = inspect.signature(
                        functions[-1]).parameters.values()
                except (TypeError, ValueError):
                    return None
                if all(p.kind is not p.VAR_KEYWORD for p in parameters):
                    break
    names: Set[str] = set()
    for function in functions:
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            return None
        if not inspect.isclass(obj) and any(p.kind is p.VAR_KEYWORD
                                            for p in parameters):
            return None
        names.update(
            p.name for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    names.discard('self')
    return names


def _type_name(type_value: Any) -> Optional[str]:
    if isinstance(type_value, str):
        return type_value.rpartition('.')[2]
    return getattr(type_value, '__name__', None)


def check_new_argument(key: str, node: dict, name: str, scope: str) -> None:
    """Refuse adding argument ``name`` to the typed dict ``node`` when no
    constructor registered under its ``type`` takes it.

    Raises:
        ConfigError: naming the key, the type and its close arguments.
    """
    type_value = node.get('type')
    if name in BUILDER_KEYS or type_value is None:
        return
    candidates = ([type_value] if not isinstance(type_value, str) else
                  registry_objects(type_value, scope))
    accepted: Set[str] = set()
    for candidate in candidates:
        arguments = accepted_arguments(candidate)
        if arguments is None:
            return
        accepted |= arguments
    if not candidates or name in accepted:
        return
    close = difflib.get_close_matches(name, sorted(accepted), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ''
    raise ConfigError(f"--cfg-options key '{key}': {_type_name(type_value)} "
                      f"takes no argument '{name}'{hint}")


def check_cfg_options(cfg: Config,
                      options: Dict[str, Any],
                      scope: Optional[str] = None) -> None:
    """Check that ``--cfg-options`` keys address the config they change.

    A key may add a new top-level section or a new leaf to an existing
    dict, but its path must otherwise exist. Refused:

    - an intermediate name missing from the config, an index past the end
      of a list, descending into a value that is not a dict;
    - a new leaf that is a near-miss of an existing key (a typo);
    - a new leaf of a dict with a ``type`` that no constructor registered
      under that type (in ``scope``) takes;
    - a value that is not a number (or not true/false) where the config
      has a number (a flag).

    Args:
        cfg: The loaded config.
        options: ``{dotted.key: value}`` pairs, as parsed by ``DictAction``.
        scope: Registry scope in which ``type`` names are resolved; without
            one, new arguments of typed dicts are not checked.

    Raises:
        ConfigError: naming the offending key.
    """
    for key, value in options.items():
        parts = key.split('.')
        node: Any = cfg._cfg_dict if isinstance(cfg, Config) else cfg
        for depth, part in enumerate(parts):
            prefix = '.'.join(parts[:depth]) or '<root>'
            is_leaf = depth == len(parts) - 1
            if isinstance(node, (list, tuple)):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(
                        f"--cfg-options key '{key}': '{prefix}' is a list of "
                        f"{len(node)} items and '{part}' is not an index of it"
                    )
                node = node[int(part)]
                continue
            if not isinstance(node, dict):
                raise ConfigError(
                    f"--cfg-options key '{key}': '{prefix}' is "
                    f"{_describe(node)}, not a dict, so it has no '{part}'")
            if part in node:
                if is_leaf:
                    _check_value_kind(key, node[part], value)
                node = node[part]
                continue
            close = difflib.get_close_matches(
                part, [str(name) for name in node], n=1, cutoff=0.8)
            if close:
                raise ConfigError(
                    f"--cfg-options key '{key}': '{prefix}' has no key "
                    f"'{part}'; did you mean '{close[0]}'?")
            if not is_leaf and depth > 0:
                raise ConfigError(
                    f"--cfg-options key '{key}': '{prefix}' has no key "
                    f"'{part}'")
            if is_leaf and scope is not None:
                check_new_argument(key, node, part, scope)
            break


def load_config(path: str,
                cfg_options: Optional[Dict[str, Any]] = None,
                scope: Optional[str] = None) -> Config:
    """Load a config file (with its ``_base_`` chain) and apply overrides.

    Args:
        path: The config file.
        cfg_options: ``--cfg-options`` overrides, checked by
            :func:`check_cfg_options` before they are merged.
        scope: Registry scope for the checks of new arguments; defaults to
            the config's ``default_scope``.

    Raises:
        ConfigError: when the file is missing or cannot be parsed, or an
            override is refused.
    """
    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except FileNotFoundError as error:
        raise ConfigError(f'{path}: {error}') from error
    except (SyntaxError, ImportError, KeyError, TypeError) as error:
        raise ConfigError(f'{path}: cannot load config: {error}') from error
    if cfg_options:
        check_cfg_options(cfg, cfg_options, scope or cfg.get('default_scope'))
        try:
            cfg.merge_from_dict(cfg_options)
        except (TypeError, KeyError) as error:
            raise ConfigError(f'--cfg-options: {error}') from error
    return cfg


_UNEXPECTED_ARGUMENT = re.compile(
    r"^(?:(\w+)\.)?(\w+)\(\) got an unexpected keyword argument '(\w+)'")
_MISSING_ARGUMENTS = re.compile(
    r'^(?:(\w+)\.)?(\w+)\(\) missing \d+ required '
    r'(?:positional |keyword-only )arguments?: (.+)$')


def typed_dicts(node: Any, path: str = '') -> Iterator[Tuple[str, dict]]:
    """``(dotted path, dict)`` of every dict with a ``type`` in ``node``."""
    if isinstance(node, dict):
        if 'type' in node:
            yield path, node
        for key, value in node.items():
            yield from typed_dicts(value, f'{path}.{key}' if path else key)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from typed_dicts(value,
                                   f'{path}.{index}' if path else str(index))


def explain_constructor_error(error: TypeError,
                              cfg: Any) -> Optional[ConfigError]:
    """The config key behind a constructor's ``TypeError``, if any.

    A constructor that got an unknown keyword argument, or lacks a required
    one, blames a dict of the config whose ``type`` names it (and which
    holds, or lacks, that argument).

    Args:
        error: What the constructor raised.
        cfg: The config the object was built from.

    Returns:
        A :class:`ConfigError` naming the key, or None when no dict of the
        config explains the error.
    """
    message = str(error)
    unexpected = _UNEXPECTED_ARGUMENT.match(message)
    missing = _MISSING_ARGUMENTS.match(message)
    if not unexpected and not missing:
        return None
    owner, function = (unexpected or missing).groups()[:2]
    # the raising __init__ may be that of a base class of the dict's type
    raiser = owner or function
    if isinstance(cfg, Config):
        cfg = cfg.to_dict()
    scope = cfg.get('default_scope') if isinstance(cfg, dict) else None
    for path, node in typed_dicts(cfg):
        name = _type_name(node['type'])
        if raiser not in _class_names(node['type'], scope):
            continue
        if unexpected and unexpected.group(3) in node:
            argument = unexpected.group(3)
            return ConfigError(f"{path}.{argument}: {name} takes no "
                               f"argument '{argument}'")
        if missing:
            needed = re.findall(r"'(\w+)'", missing.group(3))
            if not any(argument in node for argument in needed):
                return ConfigError(f'{path or "<root>"}: {name} needs '
                                   f'{missing.group(3)}')
    return None


def _class_names(type_value: Any, scope: Optional[str]) -> Set[str]:
    """The name of a dict's ``type`` and those of the base classes of what
    it names (in ``scope``)."""
    names = {_type_name(type_value)}
    candidates = [type_value] if not isinstance(type_value, str) else (
        registry_objects(type_value, scope) if scope else ())
    for candidate in candidates:
        names.update(
            klass.__name__ for klass in getattr(candidate, '__mro__', ()))
    return names


@contextlib.contextmanager
def constructor_errors(cfg: Any) -> Iterator[None]:
    """Turn a constructor's ``TypeError`` caused by a key of ``cfg`` into a
    :class:`ConfigError` naming the key (see
    :func:`explain_constructor_error`); other errors pass unchanged."""
    try:
        yield
    except TypeError as error:
        explained = explain_constructor_error(error, cfg)
        if explained is None:
            raise
        raise explained from error


def check_optimizer_type(cfg: Config) -> None:
    """Check that ``optim_wrapper.optimizer.type`` names an optimizer of the
    config's scope (mmengine would inspect the signature of the missing
    class and fail with a ``TypeError`` that names nothing).

    Raises:
        ConfigError: naming the key, the type and the closest optimizer.
    """
    optim_wrapper = cfg.get('optim_wrapper')
    optimizer = optim_wrapper.get('optimizer') if isinstance(
        optim_wrapper, dict) else None
    name = optimizer.get('type') if isinstance(optimizer, dict) else None
    if not isinstance(name, str):
        return
    try:
        module = importlib.import_module(
            f'{cfg.get("default_scope", "mmengine")}.registry')
        registry = module.OPTIMIZERS
    except (ImportError, AttributeError):
        return
    if registry.get(name) is not None:
        return
    known: Set[str] = set()
    while registry is not None:
        known.update(registry.module_dict)
        registry = registry.parent
    by_lower = {known_name.lower(): known_name for known_name in known}
    close = difflib.get_close_matches(name.lower(), sorted(by_lower), n=1)
    hint = f"; did you mean '{by_lower[close[0]]}'?" if close else ''
    raise ConfigError(
        f"optim_wrapper.optimizer.type: '{name}' is not a registered "
        f'optimizer{hint}')
