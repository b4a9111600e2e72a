"""The toy generator's user layouts (a folder per class, annotation files)
read by ``BaseFewShotDataset``, its class-name map, and the picture of the
inference API with support images."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mmfewshot.classification.apis import (read_class_names,
                                           show_result_pyplot)
from mmfewshot.classification.datasets import BaseFewShotDataset
from mmfewshot.utils import DataError

ROOT = Path(__file__).resolve().parents[2]
NUM_CLASSES, IMAGES_PER_CLASS, SIZE = 10, 3, 24
SPLIT_SIZES = dict(train=6, val=2, test=2)


def _load_generator():
    path = ROOT / 'tools/data/classification/make_toy_dataset.py'
    spec = importlib.util.spec_from_file_location('make_toy_dataset', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_toy = _load_generator()


@pytest.fixture(scope='module')
def layouts(tmp_path_factory) -> dict:
    roots = {}
    for layout in ('mini-imagenet', 'folders', 'annotation'):
        root = tmp_path_factory.mktemp(layout) / 'toy'
        make_toy.make_toy_dataset(
            str(root),
            NUM_CLASSES,
            IMAGES_PER_CLASS,
            SIZE,
            seed=3,
            max_fonts=2,
            layout=layout)
        roots[layout] = root
    return roots


def test_class_names_are_readable_and_file_safe():
    assert make_toy.class_name_of('B') == 'capital-B'
    assert make_toy.class_name_of('b') == 'small-b'
    assert make_toy.class_name_of('7') == 'digit-7'
    assert make_toy.class_name_of('#') == 'number-sign'
    assert make_toy.class_name_of('/') == 'solidus'
    assert make_toy.display_name_of('B') == 'capital B'
    assert make_toy.display_name_of('#') == 'number sign #'
    names = [make_toy.class_name_of(glyph) for glyph in make_toy.GLYPHS]
    # distinct even where file names ignore case
    assert len({name.lower() for name in names}) == len(make_toy.GLYPHS)
    assert all('/' not in name and ' ' not in name for name in names)


def test_folder_and_annotation_layouts_hold_the_same_classes(layouts):
    folders, annotation = layouts['folders'], layouts['annotation']
    seen = set()
    for split, size in SPLIT_SIZES.items():
        by_folder = BaseFewShotDataset(data_prefix=str(folders / split))
        by_file = BaseFewShotDataset(
            data_prefix=str(annotation),
            ann_file=str(annotation / f'{split}.txt'),
            classes=str(annotation / f'{split}_classes.txt'))
        assert len(by_folder.CLASSES) == size
        # the folder layout sorts its classes, the file keeps its order
        assert sorted(by_folder.CLASSES) == sorted(by_file.CLASSES)
        assert len(by_folder) == len(by_file) == size * IMAGES_PER_CLASS
        for dataset in (by_folder, by_file):
            counts = np.bincount(dataset.get_gt_labels(), minlength=size)
            assert counts.tolist() == [IMAGES_PER_CLASS] * size
            for idx in range(len(dataset)):
                info = dataset.get_data_info(idx)
                folder = Path(info['img_path']).parent.name
                assert dataset.CLASSES[info['gt_label']] == folder
        assert not seen & set(by_folder.CLASSES)
        seen |= set(by_folder.CLASSES)
    assert len(seen) == NUM_CLASSES


def test_every_layout_maps_its_classes_to_display_names(layouts):
    wnids = read_class_names(str(layouts['mini-imagenet'] / 'class_names.txt'))
    names = read_class_names(str(layouts['folders'] / 'class_names.txt'))
    assert len(wnids) == len(names) == NUM_CLASSES
    # same seed: the same characters, named by wnid or by folder
    assert sorted(wnids.values()) == sorted(names.values())
    for name, shown in names.items():
        assert shown.startswith(name.replace('-', ' '))
    for wnid, shown in wnids.items():
        glyph = chr(int(wnid[2:]))
        assert shown == make_toy.display_name_of(glyph)


def test_read_class_names_names_the_bad_line(tmp_path):
    path = tmp_path / 'names.txt'
    path.write_text('n01\thouse finch\n\nn02 robin\n')
    with pytest.raises(DataError, match=r'names.txt, line 3'):
        read_class_names(str(path))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        read_class_names(str(tmp_path / 'missing.txt'))


def test_picture_shows_query_and_support_rows(layouts):
    root = layouts['folders'] / 'test'
    classes = sorted(path.name for path in root.iterdir())
    support = [str(next((root / name).iterdir())) for name in classes]
    scores = dict(zip(classes, [0.7, 0.3]))
    result = dict(
        pred_label=0, pred_class=classes[0], pred_score=0.7, scores=scores)
    with_support = show_result_pyplot(
        support[0],
        result,
        support_imgs=support * 3,
        support_labels=classes * 3)
    without = show_result_pyplot(support[0], result)
    assert with_support.ndim == 3 and with_support.dtype == np.uint8
    assert with_support.shape != without.shape
    with pytest.raises(ValueError, match='one support label per'):
        show_result_pyplot(
            support[0],
            result,
            support_imgs=support,
            support_labels=classes[:1])
