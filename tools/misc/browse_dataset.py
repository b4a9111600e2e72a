"""Look at the images a few-shot classification config feeds its model.

Writes one picture per sample of the train/val/test dataset of a config:
the image as loaded (``original``), after the whole pipeline
(``transformed``), both side by side (``concat``) or after every pipeline
step (``pipeline``). With ``--episode`` it draws one episode of an episodic
(``EpisodicDataset``) or meta-test (``MetaTestDataset``) dataset instead: a
row per way, labelled with its class, support images on the left, query
images on the right.

Example::

    python tools/misc/browse_dataset.py CONFIG -p train -n 8 -m concat
    python tools/misc/browse_dataset.py CONFIG -p test --episode 3
"""
import argparse
import os.path as osp
import re
import sys
from typing import Any, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.utils import ProgressBar

from mmfewshot.classification.datasets.utils import build_in_scope
from mmfewshot.classification.registry import DATASETS
from mmfewshot.utils import ConfigError, load_config, user_errors

MODES = ('original', 'transformed', 'concat', 'pipeline')
PHASES = ('train', 'val', 'test')
# images are scaled up (nearest neighbour) to at least this height, so that
# small inputs (32x32) and their captions stay readable
MIN_HEIGHT = 128
CAPTION_HEIGHT = 18
GAP = 4
BACKGROUND = 255

Step = Tuple[str, np.ndarray]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the samples (or one episode) of the dataset of a '
        'few-shot classification config')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '-o',
        '--output-dir',
        help='folder for the pictures (default: work_dirs/browse_dataset/'
        '<config name>/<phase>)')
    parser.add_argument(
        '-p',
        '--phase',
        default='train',
        choices=PHASES,
        help='the dataset of which dataloader to draw')
    parser.add_argument(
        '-n',
        '--show-number',
        type=int,
        default=10,
        help='number of samples to draw, spread evenly over the dataset')
    parser.add_argument(
        '-m',
        '--mode',
        default='transformed',
        choices=MODES,
        help='what to draw of every sample: the loaded image, the image '
        'after the pipeline, both, or the image after every pipeline step')
    parser.add_argument(
        '--episode',
        type=int,
        nargs='?',
        const=0,
        help='draw episode EPISODE (default 0) of an episodic dataset as a '
        'grid, a row per way; -m original or transformed chooses the images')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config as key=value pairs')
    args = parser.parse_args(argv)
    if args.show_number < 1:
        parser.error(f'--show-number must be >= 1, got {args.show_number}')
    if args.episode is not None and args.mode not in ('original',
                                                      'transformed'):
        parser.error('--episode draws original or transformed images; use '
                     '-m original or -m transformed')
    return args


# --------------------------------------------------------------- datasets
def build_phase_dataset(cfg: Config, phase: str) -> Any:
    """The dataset of ``<phase>_dataloader``, built in our scope."""
    key = f'{phase}_dataloader'
    loader = cfg.get(key)
    if not loader or 'dataset' not in loader:
        raise ConfigError(f'the config has no `{key}.dataset` to browse')
    return build_in_scope(DATASETS, loader['dataset'])


def unwrap(dataset: Any) -> Any:
    """The innermost dataset of wrappers such as ``EpisodicDataset``: the
    one that holds the records and the pipeline."""
    while not hasattr(dataset, 'get_data_info') and hasattr(
            dataset, 'dataset'):
        dataset = dataset.dataset
    for attribute in ('get_data_info', 'pipeline'):
        if not hasattr(dataset, attribute):
            raise TypeError(f'cannot browse {type(dataset).__name__}: it has '
                            f'no `{attribute}`')
    return dataset


def class_name(dataset: Any, label: int) -> str:
    """Name of class ``label`` of ``dataset`` (the label when unnamed)."""
    classes = getattr(dataset, 'CLASSES', None)
    return str(classes[label]) if classes is not None else str(label)


# ----------------------------------------------------------------- images
def to_image(value: Any) -> Optional[np.ndarray]:
    """An HxWx3 uint8 BGR picture of an image array or a CHW tensor (the
    ``inputs`` of ``PackInputs``); ``None`` for anything else."""
    if isinstance(value, torch.Tensor):
        if value.ndim != 3:
            return None
        value = value.detach().cpu().permute(1, 2, 0).numpy()
    if not isinstance(value, np.ndarray) or value.ndim not in (2, 3):
        return None
    if value.ndim == 2:
        value = value[..., None]
    if value.shape[2] == 1:
        value = np.repeat(value, 3, axis=2)
    if value.shape[2] != 3:
        return None
    if value.dtype != np.uint8:
        value = value.astype(np.float32)
        low, high = float(value.min()), float(value.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        value = ((value - low) * scale).round().astype(np.uint8)
    return np.ascontiguousarray(value)


def pipeline_steps(dataset: Any, index: int) -> List[Step]:
    """``(transform name, image)`` after every pipeline step of sample
    ``index`` that produces an image (the first is the loaded image)."""
    results = dict(dataset.get_data_info(index))
    steps = []
    for transform in dataset.pipeline.transforms:
        name = type(transform).__name__
        results = transform(results)
        if results is None:
            raise RuntimeError(f'{name} of the pipeline returned None for '
                               f'sample {index}')
        image = to_image(results.get('inputs', results.get('img')))
        if image is not None:
            steps.append((name, image))
    if not steps:
        raise RuntimeError(f'the pipeline produced no image for sample '
                           f'{index} (no `img` or `inputs` in its results)')
    return steps


def select_steps(steps: List[Step], mode: str) -> List[Step]:
    """The steps a mode draws."""
    if mode == 'original':
        return steps[:1]
    if mode == 'transformed':
        return steps[-1:]
    if mode == 'concat':
        return [steps[0], steps[-1]]
    return steps


def panel(image: np.ndarray, caption: str = '') -> np.ndarray:
    """``image`` scaled up to ``MIN_HEIGHT`` with ``caption`` above."""
    height, width = image.shape[:2]
    factor = max(1, -(-MIN_HEIGHT // height))
    image = cv2.resize(
        image, (width * factor, height * factor),
        interpolation=cv2.INTER_NEAREST)
    band = np.full((CAPTION_HEIGHT, image.shape[1], 3),
                   BACKGROUND,
                   dtype=np.uint8)
    cv2.putText(band, fit_text(caption, image.shape[1]), (2, 13),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([band, image])


def text_cell(text: str, height: int, width: int = 120) -> np.ndarray:
    """A white cell of ``height`` with ``text`` in the middle."""
    cell = np.full((height, width, 3), BACKGROUND, dtype=np.uint8)
    cv2.putText(cell, fit_text(text, width), (4, height // 2 + 4),
                cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return cell


def fit_text(text: str, width: int) -> str:
    """``text`` shortened with '..' to about ``width`` pixels."""
    max_chars = max(1, (width - 4) // 8)
    return text if len(text) <= max_chars else text[:max_chars - 2] + '..'


def stack(images: Sequence[np.ndarray], axis: int) -> np.ndarray:
    """Images ``GAP`` pixels apart: side by side and top-aligned
    (``axis=1``) or one below the other and left-aligned (``axis=0``)."""
    across = 1 - axis
    extent = max(image.shape[across] for image in images)
    gap_shape = [0, 0, 3]
    gap_shape[axis], gap_shape[across] = GAP, extent
    parts = []
    for position, image in enumerate(images):
        if position:
            parts.append(np.full(gap_shape, BACKGROUND, dtype=np.uint8))
        padding = [(0, 0), (0, 0), (0, 0)]
        padding[across] = (0, extent - image.shape[across])
        parts.append(np.pad(image, padding, constant_values=BACKGROUND))
    return np.concatenate(parts, axis=axis)


def safe_name(text: str) -> str:
    """``text`` usable in a file name."""
    return re.sub(r'[^0-9A-Za-z._-]+', '_', text).strip('_') or 'class'


# ---------------------------------------------------------------- drawing
def draw_sample(dataset: Any, index: int, mode: str) -> np.ndarray:
    """The picture of one sample: the panels of ``mode`` side by side, the
    first captioned with the class, the others with their step."""
    record = dataset.get_data_info(index)
    name = class_name(dataset, int(record['gt_label']))
    panels = []
    for position, (step, image) in enumerate(
            select_steps(pipeline_steps(dataset, index), mode)):
        caption = f'{name} | {step}' if position == 0 else step
        panels.append(panel(image, caption))
    return stack(panels, axis=1)


def draw_samples(dataset: Any, number: int, mode: str,
                 output_dir: str) -> List[str]:
    """Write the pictures of ``number`` samples spread evenly over the
    dataset; returns their paths."""
    indices = sorted(
        set(
            np.linspace(0,
                        len(dataset) - 1,
                        min(number, len(dataset))).round().astype(int)))
    paths = []
    progress = ProgressBar(len(indices))
    for index in indices:
        index = int(index)
        label = int(dataset.get_data_info(index)['gt_label'])
        path = osp.join(
            output_dir,
            f'{index:06d}_{safe_name(class_name(dataset, label))}.png')
        mmcv.imwrite(draw_sample(dataset, index, mode), path)
        paths.append(path)
        progress.update()
    return paths


def draw_episode(episodes: Any, episode: int, mode: str) -> np.ndarray:
    """The grid of one episode: a row per way (class name on the left),
    its support images, then its query images."""
    for attribute in ('episode_class_ids', 'episode_support_indices',
                      'episode_query_indices'):
        if not hasattr(episodes, attribute):
            raise ConfigError(
                f'--episode needs an EpisodicDataset or MetaTestDataset, '
                f'the dataset is a {type(episodes).__name__}')
    if not 0 <= episode < episodes.num_episodes:
        raise ConfigError(f'--episode {episode} is outside [0, '
                          f'{episodes.num_episodes - 1}]')
    dataset = unwrap(episodes)
    support = episodes.episode_support_indices[episode].tolist()
    query = episodes.episode_query_indices[episode].tolist()
    rows = []
    progress = ProgressBar(episodes.num_ways)
    for way, class_id in enumerate(
            episodes.episode_class_ids[episode].tolist()):
        shots = support[way * episodes.num_shots:(way + 1) *
                        episodes.num_shots]
        queries = query[way * episodes.num_queries:(way + 1) *
                        episodes.num_queries]
        cells = [
            panel(
                select_steps(pipeline_steps(dataset, index), mode)[0][1],
                f'{kind} {index}')
            for kind, indices in (('support', shots), ('query', queries))
            for index in indices
        ]
        label = text_cell(f'{way}: {class_name(dataset, class_id)}',
                          cells[0].shape[0])
        rows.append(stack([label] + cells, axis=1))
        progress.update()
    return stack(rows, axis=0)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    with user_errors('browse_dataset'):
        cfg = load_config(args.config, args.cfg_options)
        DefaultScope.get_instance(
            'browse_dataset',
            scope_name=cfg.get('default_scope', 'mmfewshot_cls'))
        output_dir = args.output_dir or osp.join(
            'work_dirs', 'browse_dataset',
            osp.splitext(osp.basename(args.config))[0], args.phase)
        dataset = build_phase_dataset(cfg, args.phase)
        if args.episode is not None:
            grid = draw_episode(dataset, args.episode, args.mode)
            path = osp.join(output_dir,
                            f'episode_{args.episode:06d}_{args.mode}.png')
            mmcv.imwrite(grid, path)
            print(f'\nwrote episode {args.episode} to {path}')
            return
        paths = draw_samples(
            unwrap(dataset), args.show_number, args.mode, output_dir)
    print(f'\nwrote {len(paths)} pictures to {output_dir}')


if __name__ == '__main__':
    sys.exit(main())
