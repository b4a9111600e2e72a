import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmfewshot.classification import datasets
from mmfewshot.classification.datasets import (BaseFewShotDataset,
                                               LoadImageFromBytes,
                                               MetaTestDataset)
from mmfewshot.classification.registry import DATASETS, TRANSFORMS
from mmfewshot.utils import DataError

TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='PackInputs'),
]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(9, 9)),
    dict(type='CenterCrop', crop_size=6),
    dict(type='PackInputs'),
]


def test_subfolder_format_labels_follow_sorted_folders(folder_dataset,
                                                       key_reader):
    root, counts = folder_dataset
    dataset = BaseFewShotDataset(data_prefix=root)
    assert dataset.CLASSES == ('cat', 'dog', 'eel', 'fox')
    assert dataset.class_to_idx == {'cat': 0, 'dog': 1, 'eel': 2, 'fox': 3}
    assert len(dataset) == sum(counts.values())
    labels = dataset.get_gt_labels()
    assert labels.tolist() == [0] * 6 + [1] * 5 + [2] * 5 + [3] * 7
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        folder = osp.basename(osp.dirname(info['img_path']))
        assert dataset.CLASSES[info['gt_label']] == folder
        assert info['sample_idx'] == idx
    assert dataset.get_class_indices(2) == list(range(11, 16))
    assert [len(indices) for indices in dataset.class_indices] == [6, 5, 5, 7]
    assert dataset.get_cat_ids(11) == [2]


def test_subfolder_format_classes_select_and_order(folder_dataset):
    root, _ = folder_dataset
    dataset = BaseFewShotDataset(data_prefix=root, classes=['fox', 'cat'])
    assert dataset.CLASSES == ('fox', 'cat')
    assert len(dataset) == 7 + 6
    labels = dataset.get_gt_labels()
    for idx, label in enumerate(labels):
        folder = osp.basename(
            osp.dirname(dataset.get_data_info(idx)['img_path']))
        assert folder == ('fox' if label == 0 else 'cat')
    with pytest.raises(ValueError, match="'owl'"):
        BaseFewShotDataset(data_prefix=root, classes=['cat', 'owl'])


def test_annotation_format_with_class_file(tmp_path, image_writer):
    for name in ('a/x.png', 'a/y.png', 'b/z.png', 'w.png'):
        image_writer(str(tmp_path / 'img' / name), 1)
    ann_file = tmp_path / 'ann.txt'
    ann_file.write_text('a/x.png 2\na/y.png 0\n\nb/z.png 1\nw.png 2\n')
    class_file = tmp_path / 'classes.txt'
    class_file.write_text('red\ngreen\nblue\n')
    dataset = BaseFewShotDataset(
        data_prefix=str(tmp_path / 'img'),
        ann_file=str(ann_file),
        classes=str(class_file))
    assert dataset.CLASSES == ('red', 'green', 'blue')
    assert dataset.get_gt_labels().tolist() == [2, 0, 1, 2]
    assert dataset.get_data_info(2)['img_path'] == str(tmp_path / 'img' /
                                                       'b/z.png')
    assert dataset.get_class_indices(2) == [0, 3]
    # without classes they are named by the labels
    unnamed = BaseFewShotDataset(
        data_prefix=str(tmp_path / 'img'), ann_file=str(ann_file))
    assert unnamed.CLASSES == ('0', '1', '2')


def test_annotation_format_errors_name_file_and_line(tmp_path, image_writer):
    image_writer(str(tmp_path / 'img' / 'a.png'), 1)
    ann_file = tmp_path / 'ann.txt'
    ann_file.write_text('a.png 0\na.png 3\n')
    with pytest.raises(ValueError, match=r'ann.txt, line 2: label 3'):
        BaseFewShotDataset(
            data_prefix=str(tmp_path / 'img'),
            ann_file=str(ann_file),
            classes=['p', 'q'])
    ann_file.write_text('a.png 0\na.png -1\n')
    with pytest.raises(ValueError, match=r'ann.txt, line 2: label -1'):
        BaseFewShotDataset(
            data_prefix=str(tmp_path / 'img'), ann_file=str(ann_file))
    ann_file.write_text('a.png 0\n\nmissing.png 0\n')
    with pytest.raises(
            FileNotFoundError, match=r'ann.txt, line 3: image .*missing.png'):
        BaseFewShotDataset(
            data_prefix=str(tmp_path / 'img'), ann_file=str(ann_file))
    ann_file.write_text('a.png\n')
    with pytest.raises(ValueError, match=r'ann.txt, line 1: expected'):
        BaseFewShotDataset(
            data_prefix=str(tmp_path / 'img'), ann_file=str(ann_file))
    with pytest.raises(FileNotFoundError, match='nothere.txt'):
        BaseFewShotDataset(
            data_prefix=str(tmp_path / 'img'),
            ann_file=str(tmp_path / 'nothere.txt'))


def test_mmpretrain_pipelines_and_sample_idx(folder_dataset, key_reader):
    root, _ = folder_dataset
    train = DATASETS.build(
        dict(
            type='BaseFewShotDataset',
            data_prefix=root,
            pipeline=TRAIN_PIPELINE))
    item = train[7]
    assert item['inputs'].shape == (3, 8, 8)
    assert item['inputs'].dtype == torch.uint8
    assert isinstance(item['data_samples'], DataSample)
    assert item['data_samples'].gt_label.tolist() == [1]
    assert item['data_samples'].sample_idx == 7
    test = BaseFewShotDataset(data_prefix=root, pipeline=TEST_PIPELINE)
    item = test[12]
    assert item['inputs'].shape == (3, 6, 6)
    assert item['data_samples'].gt_label.tolist() == [2]
    # the solid colour survives resize and crop (BGR channels): key 201
    pixel = item['inputs'][:, 0, 0].tolist()
    assert pixel == [200, 0, 201]


def test_load_image_from_bytes(tmp_path, image_writer, key_reader):
    path = image_writer(str(tmp_path / 'one.png'), 513, size=(7, 5))
    with open(path, 'rb') as image_file:
        data = image_file.read()
    transform = TRANSFORMS.build(dict(type='LoadImageFromBytes'))
    assert isinstance(transform, LoadImageFromBytes)
    results = transform(dict(img_bytes=data, sample_idx=3))
    assert results['img'].shape == (5, 7, 3)
    assert results['img'].dtype == np.uint8
    assert results['img_shape'] == (5, 7) == results['ori_shape']
    assert key_reader(results['img']) == 513
    assert 'img_bytes' not in results
    # a record with a path instead of bytes is read from the file
    from_path = transform(dict(img_path=path))
    assert np.array_equal(from_path['img'], results['img'])
    as_float = LoadImageFromBytes(to_float32=True)(dict(img_bytes=data))
    assert as_float['img'].dtype == np.float32
    with pytest.raises(KeyError, match='img_bytes'):
        transform(dict(gt_label=0))
    with pytest.raises(ValueError, match='sample 4'):
        transform(dict(img_bytes=b'not an image', sample_idx=4))


def test_evaluate_topk_accuracy():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5],
                       [0.6, 0.3, 0.1]])
    labels = np.array([1, 1, 0, 2])
    result = BaseFewShotDataset.evaluate(scores, labels, topk=(1, 2, 3))
    assert result == pytest.approx({
        'accuracy_top-1': 25.0,
        'accuracy_top-2': 50.0,
        'accuracy_top-3': 100.0
    })
    with pytest.raises(ValueError, match='Top-5'):
        BaseFewShotDataset.evaluate(scores, labels)


def test_subset_keeps_class_index_in_sync(folder_dataset):
    root, _ = folder_dataset
    dataset = BaseFewShotDataset(data_prefix=root)
    subset = dataset.get_subset([0, 6, 7, 22])
    assert subset.get_gt_labels().tolist() == [0, 1, 1, 3]
    assert subset.get_class_indices(1) == [1, 2]
    assert subset.get_class_indices(2) == []
    assert len(dataset) == 23
    dataset.get_subset_(5)
    assert dataset.get_gt_labels().tolist() == [0] * 5


def test_exports_are_registered_under_their_names():
    for name in ('BaseFewShotDataset', 'MiniImageNetDataset',
                 'TieredImageNetDataset', 'CUBDataset', 'EpisodicDataset',
                 'MetaTestDataset'):
        assert DATASETS.get(name) is getattr(datasets, name)
        assert name in datasets.__all__
    assert TRANSFORMS.get('LoadImageFromBytes') is LoadImageFromBytes
    assert {'build_dataloader',
            'build_meta_test_dataloaders'} <= set(datasets.__all__)


@pytest.mark.parametrize('content, problem',
                         [(b'', 'is empty (0 bytes)'),
                          (b'not an image', 'cannot be decoded')])
def test_unreadable_image_is_named(folder_dataset, content, problem):
    root, _ = folder_dataset
    dataset = BaseFewShotDataset(data_prefix=root, pipeline=TEST_PIPELINE)
    path = dataset.get_data_info(3)['img_path']
    with open(path, 'wb') as f:
        f.write(content)
    with pytest.raises(
            DataError,
            match=re.escape(f'BaseFewShotDataset: image {path} {problem}')):
        dataset[3]
    # the episodes of meta testing load through the same path
    meta_test = MetaTestDataset(
        dataset, num_episodes=1, num_ways=4, num_shots=1, num_queries=1)
    with pytest.raises(DataError, match=f'image {path}'):
        meta_test.test_set()[3]
