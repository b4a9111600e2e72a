import difflib
import os.path as osp
from typing import Any, Dict, Optional

from mmengine.config import Config


class ConfigError(ValueError):
    """A config file or a ``--cfg-options`` override that cannot be used."""


def _describe(value: Any) -> str:
    return 'None' if value is None else type(value).__name__


def check_cfg_options(cfg: Config, options: Dict[str, Any]) -> None:
    """Check that ``--cfg-options`` keys address the config they change.

    A key may add a new top-level section or a new leaf to an existing
    dict, but its path must otherwise exist: an intermediate name missing
    from the config, an index past the end of a list, descending into a
    value that is not a dict, or a leaf that is a near-miss of an existing
    key (a typo) is refused.

    Args:
        cfg: The loaded config.
        options: ``{dotted.key: value}`` pairs, as parsed by ``DictAction``.

    Raises:
        ConfigError: naming the offending key.
    """
    for key in options:
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
            break


def load_config(path: str,
                cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Load a config file (with its ``_base_`` chain) and apply overrides.

    Args:
        path: The config file.
        cfg_options: ``--cfg-options`` overrides, checked by
            :func:`check_cfg_options` before they are merged.

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
        check_cfg_options(cfg, cfg_options)
        try:
            cfg.merge_from_dict(cfg_options)
        except (TypeError, KeyError) as error:
            raise ConfigError(f'--cfg-options: {error}') from error
    return cfg
