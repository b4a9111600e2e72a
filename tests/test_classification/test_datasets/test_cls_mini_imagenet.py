import os.path as osp
import re

import pytest

from mmfewshot.classification.datasets import MiniImageNetDataset
from mmfewshot.classification.datasets.mini_imagenet import (TEST_CLASSES,
                                                             TRAIN_CLASSES,
                                                             VAL_CLASSES)

# image numbers on disk; sorted as integers they are 2, 7, 30, 100 (a string
# sort would give 100, 2, 30, 7)
NUMBERS = (100, 7, 30, 2)
SORTED_NUMBERS = (2, 7, 30, 100)


def write_csv(path, rows):
    path.write_text('filename,label\n' + ''.join(f'{name},{wnid}\n'
                                                 for name, wnid in rows))


def make_imagenet_form(root, image_writer, wnids, split):
    rows = []
    for position, wnid in enumerate(wnids):
        for number in NUMBERS:
            image_writer(
                str(root / 'images' / wnid / f'{wnid}_{number}.JPEG'),
                position,
                fmt='JPEG')
        rows += [(f'{wnid}{index:08d}.jpg', wnid) for index in (1, 2, 3, 4)]
    write_csv(root / f'{split}.csv', rows)
    return rows


def make_flat_form(root, image_writer, wnids, split, per_class=2):
    rows = []
    for position, wnid in enumerate(wnids):
        for index in range(1, per_class + 1):
            name = f'{wnid}{index:08d}.jpg'
            image_writer(str(root / 'images' / name), position, fmt='JPEG')
            rows.append((name, wnid))
    write_csv(root / f'{split}.csv', rows)
    return rows


def test_predefined_split_classes():
    assert len(TRAIN_CLASSES) == 64
    assert len(VAL_CLASSES) == 16
    assert len(TEST_CLASSES) == 20
    everything = TRAIN_CLASSES + VAL_CLASSES + TEST_CLASSES
    assert len(set(everything)) == 100
    assert all(re.fullmatch(r'n\d{8}', wnid) for wnid in everything)
    assert TRAIN_CLASSES[0] == 'n01532829'
    assert VAL_CLASSES[0] == 'n01855672'
    assert TEST_CLASSES[-1] == 'n07613480'
    assert MiniImageNetDataset.get_predefined_classes(['val', 'test']) == \
        list(VAL_CLASSES + TEST_CLASSES)


def test_csv_names_resolve_by_image_number(tmp_path, image_writer):
    make_imagenet_form(tmp_path, image_writer, TEST_CLASSES, 'test')
    dataset = MiniImageNetDataset(data_prefix=str(tmp_path), subset='test')
    assert dataset.CLASSES == TEST_CLASSES
    assert len(dataset) == 20 * 4
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        wnid = TEST_CLASSES[idx // 4]
        expected_number = SORTED_NUMBERS[idx % 4]
        assert info['img_path'] == osp.join(
            str(tmp_path), 'images', wnid, f'{wnid}_{expected_number}.JPEG')
        assert info['gt_label'] == idx // 4
    # a row 3 of class 5 is the image numbered 30
    assert dataset.get_data_info(5 * 4 + 2)['img_path'].endswith(
        f'{TEST_CLASSES[5]}_30.JPEG')


def test_flat_form_and_several_subsets(tmp_path, image_writer):
    make_flat_form(tmp_path, image_writer, VAL_CLASSES, 'val')
    make_imagenet_form(tmp_path, image_writer, TEST_CLASSES, 'test')
    val = MiniImageNetDataset(
        data_prefix=str(tmp_path), subset='val', file_format='.JPEG')
    assert len(val) == 16 * 2
    assert val.get_data_info(3)['img_path'] == osp.join(
        str(tmp_path), 'images', f'{VAL_CLASSES[1]}00000002.jpg')
    both = MiniImageNetDataset(
        data_prefix=str(tmp_path), subset=['val', 'test'])
    assert both.CLASSES == VAL_CLASSES + TEST_CLASSES
    labels = both.get_gt_labels()
    assert labels[:32].tolist() == [
        label for label in range(16) for _ in range(2)
    ]
    assert labels[32:].tolist() == [
        label for label in range(16, 36) for _ in range(4)
    ]


def test_classes_select_among_the_split(tmp_path, image_writer):
    make_imagenet_form(tmp_path, image_writer, TEST_CLASSES, 'test')
    chosen = [TEST_CLASSES[7], TEST_CLASSES[2]]
    dataset = MiniImageNetDataset(
        data_prefix=str(tmp_path), subset='test', classes=chosen)
    assert dataset.CLASSES == tuple(chosen)
    assert dataset.get_gt_labels().tolist() == [1] * 4 + [0] * 4
    assert TEST_CLASSES[2] in dataset.get_data_info(0)['img_path']


def test_errors_name_the_culprit(tmp_path, image_writer):
    rows = make_imagenet_form(tmp_path, image_writer, TEST_CLASSES, 'test')
    with pytest.raises(FileNotFoundError, match=r'train\.csv'):
        MiniImageNetDataset(data_prefix=str(tmp_path), subset='train')
    with pytest.raises(ValueError, match="'testing'"):
        MiniImageNetDataset(data_prefix=str(tmp_path), subset='testing')
    # a class of another split, on line 3 of the file
    bad_rows = rows[:1] + [
        (f'{TRAIN_CLASSES[0]}00000001.jpg', TRAIN_CLASSES[0])
    ] + rows[1:]
    image_writer(
        str(tmp_path / 'images' / TRAIN_CLASSES[0] /
            f'{TRAIN_CLASSES[0]}_1.JPEG'),
        0,
        fmt='JPEG')
    write_csv(tmp_path / 'test.csv', bad_rows)
    with pytest.raises(
            ValueError, match=r"test\.csv, line 3: class "
            f"'{TRAIN_CLASSES[0]}'"):
        MiniImageNetDataset(data_prefix=str(tmp_path), subset='test')
    # image 5 of a class that has 4
    write_csv(tmp_path / 'test.csv',
              rows + [(f'{TEST_CLASSES[0]}00000005.jpg', TEST_CLASSES[0])])
    with pytest.raises(
            FileNotFoundError,
            match=r'test\.csv, line 82: .*image 5 of class'):
        MiniImageNetDataset(data_prefix=str(tmp_path), subset='test')
    # a class of the split without any row
    write_csv(tmp_path / 'test.csv', rows[4:])
    with pytest.raises(
            ValueError, match=f'no image of class '
            f"'{TEST_CLASSES[0]}'"):
        MiniImageNetDataset(data_prefix=str(tmp_path), subset='test')
    # flat form with a file missing
    make_flat_form(tmp_path, image_writer, VAL_CLASSES, 'val')
    missing = tmp_path / 'images' / f'{VAL_CLASSES[3]}00000002.jpg'
    missing.unlink()
    with pytest.raises(
            FileNotFoundError, match=r'val\.csv, line 9: .*00000002\.jpg'):
        MiniImageNetDataset(data_prefix=str(tmp_path), subset='val')
