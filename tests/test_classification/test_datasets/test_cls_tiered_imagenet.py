import copy
import io
import os
import os.path as osp
import pickle
import runpy

import numpy as np
import pytest
from PIL import Image

from mmfewshot.classification.datasets import TieredImageNetDataset
from mmfewshot.utils import DataError

SCRIPT = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'tools', 'data', 'classification',
    'tiered-imagenet', 'unzip_tiered_imagenet.py')

TRAIN_NAMES = ['n01530575', 'n01531178', 'n01532829']
TEST_NAMES = ['n03314780', 'n07565083']
PIPELINE = [dict(type='LoadImageFromBytes'), dict(type='PackInputs')]


def png_bytes(key):
    buffer = io.BytesIO()
    Image.new('RGB', (6, 4), (key % 256, key // 256, 200)).save(
        buffer, format='PNG')
    return buffer.getvalue()


def write_split(root, split, labels, names, as_arrays=False):
    """Image ``i`` of the split has colour key ``1000 * split_id + i``."""
    base = {'train': 0, 'val': 1, 'test': 2}[split] * 1000
    images = [png_bytes(base + index) for index in range(len(labels))]
    if as_arrays:
        # like cv2.imencode: uint8 arrays of shape [n, 1] in an object array
        packed = np.empty(len(images), dtype=object)
        for index, data in enumerate(images):
            packed[index] = np.frombuffer(data, np.uint8).reshape(-1, 1)
        images = packed
        names = [name.encode() for name in names]
    label_info = dict(
        label_specific=np.array(labels),
        label_general=np.zeros(len(labels), dtype=np.int64),
        label_specific_str=names,
        label_general_str=['everything'])
    with open(root / f'{split}_images_png.pkl', 'wb') as images_file:
        pickle.dump(images, images_file)
    with open(root / f'{split}_labels.pkl', 'wb') as labels_file:
        pickle.dump(label_info, labels_file)


@pytest.fixture
def pickled_root(tmp_path):
    root = tmp_path / 'tiered'
    root.mkdir()
    # classes interleaved as in the release, class 1 has 4 images
    write_split(root, 'train', [1, 0, 2, 1, 1, 0, 2, 1], TRAIN_NAMES)
    write_split(root, 'test', [1, 0, 0, 1, 1], TEST_NAMES, as_arrays=True)
    return root


def test_pickled_release_holds_bytes_decoded_lazily(pickled_root, key_reader):
    dataset = TieredImageNetDataset(
        data_prefix=str(pickled_root), subset='train', pipeline=PIPELINE)
    assert dataset.CLASSES == tuple(TRAIN_NAMES)
    assert dataset.get_gt_labels().tolist() == [1, 0, 2, 1, 1, 0, 2, 1]
    assert dataset.get_class_indices(1) == [0, 3, 4, 7]
    info = dataset.get_data_info(6)
    assert isinstance(info['img_bytes'], bytes)
    assert info['img_bytes'] == png_bytes(6)
    assert 'img_path' not in info
    item = dataset[6]
    assert item['inputs'].shape == (3, 4, 6)
    assert item['inputs'][:, 0, 0].tolist() == [200, 0, 6]
    assert item['data_samples'].gt_label.tolist() == [2]
    # the packed images are shared, not copied, by copies of the dataset
    clone = copy.deepcopy(dataset)
    assert clone._png_store is dataset._png_store
    assert clone.get_data_info(2)['img_bytes'] == png_bytes(2)


def test_cv2_style_arrays_and_several_subsets(pickled_root):
    dataset = TieredImageNetDataset(
        data_prefix=str(pickled_root), subset=['train', 'test'])
    assert dataset.CLASSES == tuple(TRAIN_NAMES + TEST_NAMES)
    assert dataset.get_gt_labels().tolist() == \
        [1, 0, 2, 1, 1, 0, 2, 1] + [4, 3, 3, 4, 4]
    assert dataset.get_data_info(8 + 3)['img_bytes'] == png_bytes(2003)
    chosen = TieredImageNetDataset(
        data_prefix=str(pickled_root), subset='test', classes=[TEST_NAMES[1]])
    assert chosen.get_gt_labels().tolist() == [0, 0, 0]
    assert chosen.get_data_info(2)['img_bytes'] == png_bytes(2004)


def test_unpacked_form_matches_the_pickles(pickled_root, tmp_path, key_reader):
    out_dir = tmp_path / 'unpacked'
    main = runpy.run_path(SCRIPT)['main']
    main([
        '--data-root',
        str(pickled_root), '--out-dir',
        str(out_dir), '--splits', 'train', 'test', '--no-progress'
    ])
    assert (out_dir / 'train' / 'classes.txt').read_text().split() == \
        TRAIN_NAMES
    assert sorted(os.listdir(out_dir / 'train' / TRAIN_NAMES[1])) == \
        ['000000.png', '000003.png', '000004.png', '000007.png']
    pickled = TieredImageNetDataset(
        data_prefix=str(pickled_root), subset='train', pipeline=PIPELINE)
    unpacked = TieredImageNetDataset(
        data_prefix=str(out_dir), subset='train', pipeline=PIPELINE)
    assert unpacked.CLASSES == pickled.CLASSES
    # class-major in the unpacked form; same images, same labels
    expected = [(label, index) for label in range(3)
                for index in pickled.get_class_indices(label)]
    for idx, (label, pickled_index) in enumerate(expected):
        item = unpacked[idx]
        assert item['data_samples'].gt_label.tolist() == [label]
        assert item['inputs'].tolist() == \
            pickled[pickled_index]['inputs'].tolist()
    assert unpacked.get_data_info(0)['img_path'].endswith(
        osp.join('train', TRAIN_NAMES[0], '000001.png'))


def test_unpacked_form_without_classes_file_sorts_folders(
        tmp_path, image_writer):
    for name in ('n2', 'n1'):
        image_writer(str(tmp_path / 'val' / name / '000000.png'), 1)
    dataset = TieredImageNetDataset(data_prefix=str(tmp_path), subset='val')
    assert dataset.CLASSES == ('n1', 'n2')


def test_errors_name_the_missing_file(pickled_root):
    with pytest.raises(FileNotFoundError, match=r'val_images_png\.pkl'):
        TieredImageNetDataset(data_prefix=str(pickled_root), subset='val')
    with pytest.raises(ValueError, match="'everything'"):
        TieredImageNetDataset(
            data_prefix=str(pickled_root), subset=['train', 'everything'])
    os.remove(pickled_root / 'train_labels.pkl')
    with pytest.raises(FileNotFoundError, match=r'train_labels\.pkl'):
        TieredImageNetDataset(data_prefix=str(pickled_root), subset='train')
    with open(pickled_root / 'train_labels.pkl', 'wb') as labels_file:
        pickle.dump(dict(label_specific=np.zeros(3)), labels_file)
    with pytest.raises(DataError, match='label_specific_str'):
        TieredImageNetDataset(data_prefix=str(pickled_root), subset='train')
