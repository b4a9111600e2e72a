"""Generated image datasets shared by the classification tests."""
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

SHAPES = ('circle', 'square', 'triangle', 'cross', 'bar')
COLORS = {
    'red': (220, 40, 40),
    'green': (40, 180, 60),
    'blue': (40, 70, 220),
    'yellow': (230, 210, 40),
}


def draw_shape(shape: str, color, size: int,
               rng: np.random.Generator) -> Image.Image:
    """One noisy picture of a coloured shape at a random place and scale."""
    background = tuple(int(v) for v in rng.integers(0, 60, 3))
    image = Image.new('RGB', (size, size), background)
    draw = ImageDraw.Draw(image)
    extent = rng.uniform(0.45, 0.7) * size
    cx, cy = rng.uniform(0.35, 0.65, 2) * size
    half = extent / 2
    box = [cx - half, cy - half, cx + half, cy + half]
    jitter = tuple(int(np.clip(c + rng.integers(-20, 21), 0, 255))
                   for c in color)
    if shape == 'circle':
        draw.ellipse(box, fill=jitter)
    elif shape == 'square':
        draw.rectangle(box, fill=jitter)
    elif shape == 'triangle':
        draw.polygon([(cx, cy - half), (cx - half, cy + half),
                      (cx + half, cy + half)], fill=jitter)
    elif shape == 'cross':
        width = half / 3
        draw.rectangle([cx - width, cy - half, cx + width, cy + half],
                       fill=jitter)
        draw.rectangle([cx - half, cy - width, cx + half, cy + width],
                       fill=jitter)
    else:
        draw.rectangle([cx - half, cy - half / 4, cx + half, cy + half / 4],
                       fill=jitter)
    pixels = np.asarray(image).astype(np.float32)
    pixels += rng.normal(0, 12, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def make_shape_dataset(root: Path, classes, images_per_class: int,
                       size: int, seed: int) -> Path:
    """Write ``root/<shape>_<color>/<i>.png`` for the given classes."""
    rng = np.random.default_rng(seed)
    for shape, color in classes:
        folder = root / f'{shape}_{color}'
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(images_per_class):
            draw_shape(shape, COLORS[color], size,
                       rng).save(folder / f'{index:03d}.png')
    return root


@pytest.fixture(scope='session')
def shape_datasets(tmp_path_factory):
    """Base classes (12 shape/colour pairs) and disjoint novel classes (8).

    Returns ``{'base': dir, 'novel': dir}`` in the subfolder format.
    """
    pairs = list(itertools.product(SHAPES, COLORS))  # 20 classes
    order = np.random.default_rng(0).permutation(len(pairs))
    pairs = [pairs[i] for i in order]
    root = tmp_path_factory.mktemp('shapes')
    return dict(
        base=make_shape_dataset(root / 'base', pairs[:12], 16, 32, seed=1),
        novel=make_shape_dataset(root / 'novel', pairs[12:], 16, 32, seed=2))
