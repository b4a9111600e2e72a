"""Dump the merged settings of the original toolbox's configs.

Reads every config of a checkout of open-mmlab/mmfewshot at tag ``v0.1.0``
(``configs/classification`` and ``configs/detection``), merges its
``_base_`` files, keeps the settings that decide what a run computes and
writes them, flattened to dotted keys in the original's own vocabulary
(mmcv 1.x / mmdet 2.x: ``optimizer.lr``, ``lr_config.step``,
``runner.max_iters``, ``data.samples_per_gpu``, ``model.roi_head...``), to
``tests/data/reference/original_configs.json``. The test
``tests/test_reference_config_settings.py`` compares our configs of the same
file name with them. The original's config files themselves are never
copied into this repository; only their merged values are stored.

Usage (any environment with mmengine; the original's configs are plain
Python files that mmengine's ``Config`` merges as mmcv 1.x did)::

    python tools/reference/dump_original_configs.py \
        --original-repo PATH/TO/mmfewshot-v0.1.0

What is left out: logging, checkpointing and distributed runtime settings,
worker counts, image folders and dataset names, and the helper variables of
the config files (``img_norm_cfg``, ``train_pipeline``, ...), whose values
reach the kept settings anyway. Pipelines keep their steps except image
loading and the formatting steps (``DefaultFormatBundle``, ``Collect``,
``ImageToTensor``, ``ToTensor``), which have no counterpart in mmengine's
packing.

The file is small because identical groups of settings (a model's RoI
head, a pipeline) are stored once in ``fragments`` and every config lists
the fragments whose union is its settings.
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config

from mmfewshot.utils.atomic import atomic_write

# top-level keys of an original config that decide what a run computes
KEPT_KEYS = ('model', 'optimizer', 'optimizer_config', 'lr_config', 'runner',
             'data', 'evaluation', 'load_from', 'custom_hooks',
             'use_infinite_sampler', 'seed')
# keys dropped wherever they occur: runtime and file-location settings
DROPPED_NAMES = frozenset({
    'workers_per_gpu', 'auxiliary_workers_per_gpu', 'img_prefix',
    'data_prefix', 'dataset_name', 'num_workers', 'debug', 'gpu_collect'
})
# dicts kept whole: their keys are parameter names that may hold dots
KEPT_WHOLE = frozenset({'custom_keys'})
# pipeline steps without a counterpart in mmengine/mmdet 3 packing
FORMAT_STEPS = frozenset({
    'LoadImageFromFile', 'LoadImageFromBytes', 'DefaultFormatBundle',
    'Collect', 'ImageToTensor', 'ToTensor', 'MultiImageFormatBundle',
    'MultiImageCollect'
})


def is_pipeline_key(key: str) -> bool:
    """Whether ``key`` (a dotted path) holds a list of pipeline steps."""
    parts = key.split('.')
    return parts[-1].endswith('pipeline') or (len(parts) > 1 and parts[-2]
                                              == 'multi_pipelines')


def clean_pipeline(steps: Sequence[dict]) -> List[dict]:
    """The steps of a pipeline without image loading and formatting; the
    inner transforms of ``MultiScaleFlipAug`` are cleaned the same way."""
    cleaned = []
    for step in steps:
        if step['type'] in FORMAT_STEPS:
            continue
        step = dict(step)
        if 'transforms' in step:
            step['transforms'] = clean_pipeline(step['transforms'])
        cleaned.append(step)
    return cleaned


def flatten(value: Any, prefix: str, out: Dict[str, Any]) -> None:
    """Flatten dicts and lists of dicts into ``out`` under dotted keys;
    pipelines and lists of plain values are kept whole."""
    if isinstance(value, dict) and prefix.split('.')[-1] in KEPT_WHOLE:
        out[prefix] = to_json(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in DROPPED_NAMES:
                continue
            flatten(item, f'{prefix}.{key}' if prefix else key, out)
    elif isinstance(value, (list, tuple)) and is_pipeline_key(prefix):
        out[prefix] = clean_pipeline(value)
    elif isinstance(value, (list, tuple)) and any(
            isinstance(item, dict) for item in value):
        for index, item in enumerate(value):
            flatten(item, f'{prefix}.{index}', out)
    else:
        out[prefix] = to_json(value)


def to_json(value: Any) -> Any:
    """Tuples become lists (JSON has no tuples)."""
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def merged_settings(path: Path) -> Dict[str, Any]:
    """The kept settings of one original config, flattened."""
    cfg = Config.fromfile(str(path)).to_dict()
    settings: Dict[str, Any] = {}
    for key in KEPT_KEYS:
        if key in cfg:
            flatten(cfg[key], key, settings)
    return settings


def fragment_name(key: str) -> str:
    """The group a key is stored in: a pipeline on its own, a key of the
    model or the data by its first two components (``model.roi_head``,
    ``data.train``), any other key by its first one (``lr_config``)."""
    if is_pipeline_key(key):
        return key
    parts = key.split('.')
    return '.'.join(parts[:2] if parts[0] in ('model', 'data') else parts[:1])


def intern(settings: Dict[str, Any], fragments: Dict[str, dict]) -> list:
    """Split ``settings`` into fragments, store new ones in ``fragments``
    (by a hash of their content) and return the ids of the fragments."""
    groups: Dict[str, dict] = {}
    for key, value in settings.items():
        groups.setdefault(fragment_name(key), {})[key] = value
    ids = []
    for group in groups.values():
        text = json.dumps(group, sort_keys=True)
        digest = hashlib.sha1(text.encode()).hexdigest()[:10]
        fragments.setdefault(digest, group)
        ids.append(digest)
    return sorted(ids)


def dump(original_repo: Path) -> dict:
    """The fixture: every config of the original, merged and interned."""
    root = original_repo / 'configs'
    if not (root / 'detection').is_dir() or not (root /
                                                 'classification').is_dir():
        raise FileNotFoundError(
            f'{root}: no configs/classification and configs/detection; '
            '--original-repo must be a checkout of open-mmlab/mmfewshot '
            'at v0.1.0')
    fragments: Dict[str, dict] = {}
    configs: Dict[str, list] = {}
    base_files: List[str] = []
    for path in sorted(root.rglob('*.py')):
        relative = path.relative_to(root).as_posix()
        if '_base_' in path.parts:
            base_files.append(relative)
            continue
        configs[relative] = intern(merged_settings(path), fragments)
    return dict(
        source='open-mmlab/mmfewshot v0.1.0, configs/ (merged settings; '
        'written by tools/reference/dump_original_configs.py)',
        base_files=base_files,
        configs=configs,
        fragments=dict(sorted(fragments.items())))


def to_text(fixture: dict) -> str:
    """The fixture as JSON with one line per config and per fragment, so
    that a change of the original shows as a change of a few lines."""
    lines = ['{']
    for key in ('source', 'base_files'):
        lines.append(f'"{key}": {json.dumps(fixture[key])},')
    for key in ('configs', 'fragments'):
        items = [
            f'{json.dumps(name)}: {json.dumps(value, sort_keys=True)}'
            for name, value in fixture[key].items()
        ]
        lines.append(f'"{key}": {{')
        lines.append(',\n'.join(items))
        lines.append('},' if key == 'configs' else '}')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog='dump_original_configs.py',
        description='Write the merged settings of the original toolbox\'s '
        'configs (open-mmlab/mmfewshot v0.1.0) as a JSON fixture.')
    parser.add_argument(
        '--original-repo',
        required=True,
        type=Path,
        help='checkout of open-mmlab/mmfewshot at tag v0.1.0')
    parser.add_argument(
        '--out',
        type=Path,
        default=Path(__file__).resolve().parents[2] /
        'tests/data/reference/original_configs.json',
        help='JSON file to write (default: %(default)s)')
    args = parser.parse_args(argv)
    try:
        fixture = dump(args.original_repo)
    except (FileNotFoundError, SyntaxError, KeyError) as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    with atomic_write(str(args.out)) as f:
        f.write(to_text(fixture))
    print(f'{len(fixture["configs"])} configs '
          f'({len(fixture["base_files"])} _base_ files merged into them), '
          f'{len(fixture["fragments"])} fragments -> {args.out}')


if __name__ == '__main__':
    sys.exit(main())
