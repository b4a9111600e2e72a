import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image


def _color(key: int) -> tuple:
    """A colour that encodes ``key`` (< 256**2) exactly in R and G."""
    return (key % 256, key // 256, 200)


def save_image(path: str, key: int, size=(12, 10), fmt=None) -> str:
    """Write a solid image whose colour encodes ``key``; returns ``path``."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.new('RGB', size, _color(key)).save(path, format=fmt)
    return path


def key_of_bgr(img: np.ndarray) -> int:
    """Inverse of the colour coding, for a decoded BGR image."""
    blue, green, red = (int(value) for value in img[0, 0])
    assert blue == 200
    return red + 256 * green


@pytest.fixture(scope='session')
def image_writer():
    return save_image


@pytest.fixture(scope='session')
def key_reader():
    return key_of_bgr


@pytest.fixture
def folder_dataset(tmp_path):
    """``root/<class>/<n>.png``: 4 classes with 6, 5, 5, 7 images; the image
    key is ``100 * class position + n``."""
    root = tmp_path / 'folders'
    counts = {'cat': 6, 'dog': 5, 'eel': 5, 'fox': 7}
    for position, (name, count) in enumerate(sorted(counts.items())):
        for number in range(count):
            save_image(
                str(root / name / f'{number}.png'), 100 * position + number)
    return str(root), counts


@pytest.fixture(scope='session')
def eight_class_root(tmp_path_factory):
    """``root/c<k>/<n>.png``: 8 classes of 8 images; key ``10 * k + n``."""
    root = tmp_path_factory.mktemp('eight_classes')
    for class_id in range(8):
        for number in range(8):
            save_image(
                str(root / f'c{class_id}' / f'{number}.png'),
                10 * class_id + number,
                size=(5, 5))
    return str(root)
