import os.path as osp
import shutil

import pytest

from mmfewshot.classification.datasets import CUBDataset
from mmfewshot.classification.datasets.cub import split_cub_classes

CLASS_NAMES = [f'{number:03d}.Bird_{number}' for number in range(1, 201)]


@pytest.fixture(scope='module')
def cub_root(tmp_path_factory, image_writer):
    """``<root>/CUB_200_2011/images/<id>.<Name>/*.jpg``; class ``i`` (0-based)
    has ``1 + i % 3`` images."""
    root = tmp_path_factory.mktemp('cub')
    for position, name in enumerate(CLASS_NAMES):
        for number in range(1 + position % 3):
            image_writer(
                str(root / 'CUB_200_2011' / 'images' / name /
                    f'Bird_{position}_{number}.jpg'),
                position,
                size=(4, 4),
                fmt='JPEG')
    return root


def test_interleaved_split_of_closer_look(cub_root):
    train = CUBDataset(data_prefix=str(cub_root), subset='train')
    val = CUBDataset(data_prefix=str(cub_root), subset='val')
    test = CUBDataset(data_prefix=str(cub_root), subset='test')
    assert train.CLASSES == tuple(CLASS_NAMES[0::2])
    assert val.CLASSES == tuple(CLASS_NAMES[1::4])
    assert test.CLASSES == tuple(CLASS_NAMES[3::4])
    assert (len(train.CLASSES), len(val.CLASSES), len(test.CLASSES)) == \
        (100, 50, 50)
    assert train.CLASSES[:3] == ('001.Bird_1', '003.Bird_3', '005.Bird_5')
    assert val.CLASSES[:2] == ('002.Bird_2', '006.Bird_6')
    assert test.CLASSES[:2] == ('004.Bird_4', '008.Bird_8')
    # images per class follow the fixture: 004 has 1 image, 008 has 2
    assert test.get_class_indices(0) == [0]
    assert test.get_class_indices(1) == [1, 2]
    assert len(train) == sum(1 + position % 3 for position in range(0, 200, 2))
    for idx in range(len(test)):
        info = test.get_data_info(idx)
        folder = osp.basename(osp.dirname(info['img_path']))
        assert test.CLASSES[info['gt_label']] == folder


def test_contiguous_split_seed_and_prefix_forms(cub_root):
    contiguous = CUBDataset(
        data_prefix=str(cub_root), subset='val', class_split='contiguous')
    assert contiguous.CLASSES == tuple(CLASS_NAMES[100:150])
    shuffled = CUBDataset(
        data_prefix=str(cub_root), subset='train', classes_id_seed=3)
    again = CUBDataset(
        data_prefix=str(cub_root), subset='train', classes_id_seed=3)
    other = CUBDataset(
        data_prefix=str(cub_root), subset='train', classes_id_seed=4)
    assert shuffled.CLASSES == again.CLASSES
    assert shuffled.CLASSES != other.CLASSES
    assert shuffled.CLASSES != tuple(CLASS_NAMES[0::2])
    splits = split_cub_classes(CLASS_NAMES, classes_id_seed=3)
    assert shuffled.CLASSES == tuple(splits['train'])
    all_classes = splits['train'] + splits['val'] + splits['test']
    assert sorted(all_classes) == CLASS_NAMES
    # data_prefix may also be the CUB_200_2011 folder itself
    direct = CUBDataset(
        data_prefix=str(cub_root / 'CUB_200_2011'), subset=['val', 'test'])
    assert direct.CLASSES == tuple(CLASS_NAMES[1::4] + CLASS_NAMES[3::4])


def test_errors(cub_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='CUB_200_2011'):
        CUBDataset(data_prefix=str(tmp_path), subset='train')
    with pytest.raises(ValueError, match="'novel'"):
        CUBDataset(data_prefix=str(cub_root), subset='novel')
    with pytest.raises(ValueError, match='class_split'):
        CUBDataset(data_prefix=str(cub_root), class_split='random')
    partial = tmp_path / 'images'
    for name in CLASS_NAMES[:150]:
        shutil.copytree(cub_root / 'CUB_200_2011' / 'images' / name,
                        partial / name)
    with pytest.raises(
            ValueError, match=r'has 150 class folders, expected '
            r'200'):
        CUBDataset(data_prefix=str(tmp_path), subset='train')
