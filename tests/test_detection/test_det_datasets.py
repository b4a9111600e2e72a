"""Few-shot VOC datasets, class splits and shot filtering on a tiny VOCdevkit.

The fixture (64x48 JPEGs, class split 1):

    VOC2007  000001: bird, bird, person
             000002: bird, dog (difficult), bus
             000003: person, bus (3x3 box), dog
             000004: cow (zero width), person
    VOC2012  2012_000001: bird, sofa
"""
import json
import logging
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.logging import MMLogger
from PIL import Image

from mmfewshot.detection.datasets import (
    ALL_CLASSES, ALL_CLASSES_SPLIT1, ALL_CLASSES_SPLIT2, ALL_CLASSES_SPLIT3,
    BASE_CLASSES, BASE_CLASSES_SPLIT1, BASE_CLASSES_SPLIT2,
    BASE_CLASSES_SPLIT3, NOVEL_CLASSES, NOVEL_CLASSES_SPLIT1,
    NOVEL_CLASSES_SPLIT2, NOVEL_CLASSES_SPLIT3, FewShotVOCCopyDataset,
    FewShotVOCDataset, FewShotVOCDefaultDataset, count_instances,
    get_novel_classes, get_split_classes)
from mmfewshot.detection.registry import DATASETS
from mmfewshot.utils import DataError, build_runner, load_config

IMG_W, IMG_H = 64, 48
# image id -> [(class, (xmin, ymin, xmax, ymax) 1-based, difficult)]
VOC2007 = {
    '000001': [('bird', (2, 3, 20, 30), 0), ('bird', (30, 5, 50, 40), 0),
               ('person', (10, 10, 60, 45), 0)],
    '000002': [('bird', (5, 5, 25, 25), 0), ('dog', (20, 20, 40, 40), 1),
               ('bus', (1, 1, 64, 48), 0)],
    '000003': [('person', (3, 4, 33, 44), 0), ('bus', (10, 10, 13, 13), 0),
               ('dog', (40, 8, 60, 30), 0)],
    '000004': [('cow', (10, 10, 10, 30), 0), ('person', (5, 5, 25, 45), 0)],
}
VOC2012 = {
    '2012_000001': [('bird', (4, 4, 16, 16), 0),
                    ('sofa', (20, 10, 60, 40), 0)],
}
SPLIT1 = list(ALL_CLASSES_SPLIT1)


def label(name):
    return SPLIT1.index(name)


def write_voc_subset(root, subset, images):
    for folder in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        os.makedirs(osp.join(root, subset, folder), exist_ok=True)
    for index, (img_id, objects) in enumerate(images.items()):
        color = (40 * index % 255, 80, 160)
        Image.new('RGB', (IMG_W, IMG_H), color).save(
            osp.join(root, subset, 'JPEGImages', f'{img_id}.jpg'))
        xml_objects = ''.join(
            f'<object><name>{name}</name><difficult>{difficult}</difficult>'
            f'<bndbox><xmin>{box[0]}</xmin><ymin>{box[1]}</ymin>'
            f'<xmax>{box[2]}</xmax><ymax>{box[3]}</ymax></bndbox></object>'
            for name, box, difficult in objects)
        with open(osp.join(root, subset, 'Annotations', f'{img_id}.xml'),
                  'w') as f:
            f.write(f'<annotation><filename>{img_id}.jpg</filename><size>'
                    f'<width>{IMG_W}</width><height>{IMG_H}</height>'
                    f'<depth>3</depth></size>{xml_objects}</annotation>')
    with open(osp.join(root, subset, 'ImageSets/Main/trainval.txt'), 'w') as f:
        f.write(''.join(f'{img_id}\n' for img_id in images))


@pytest.fixture
def voc_root(tmp_path):
    root = str(tmp_path / 'VOCdevkit')
    write_voc_subset(root, 'VOC2007', VOC2007)
    write_voc_subset(root, 'VOC2012', VOC2012)
    return root


def voc_dataset(root, years=('VOC2007', ), **kwargs):
    kwargs.setdefault('classes', 'ALL_CLASSES_SPLIT1')
    kwargs.setdefault('ann_cfg', [
        dict(type='ann_file', ann_file=f'{year}/ImageSets/Main/trainval.txt')
        for year in years
    ])
    return FewShotVOCDataset(data_root=root, **kwargs)


def counts_by_name(dataset):
    classes = dataset.metainfo['classes']
    return {
        classes[k]: v
        for k, v in count_instances(dataset.get_data_list()).items()
    }


class LogRecords(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_log():
    handler = LogRecords()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


# ---------------------------------------------------------------------------
# class splits
# ---------------------------------------------------------------------------
def test_voc_splits_are_the_tfa_splits():
    assert set(NOVEL_CLASSES_SPLIT1) == {
        'bird', 'bus', 'cow', 'motorbike', 'sofa'
    }
    assert set(NOVEL_CLASSES_SPLIT2) == {
        'aeroplane', 'bottle', 'cow', 'horse', 'sofa'
    }
    assert set(NOVEL_CLASSES_SPLIT3) == {
        'boat', 'cat', 'motorbike', 'sheep', 'sofa'
    }
    for all_, base, novel in ((ALL_CLASSES_SPLIT1, BASE_CLASSES_SPLIT1,
                               NOVEL_CLASSES_SPLIT1),
                              (ALL_CLASSES_SPLIT2, BASE_CLASSES_SPLIT2,
                               NOVEL_CLASSES_SPLIT2), (ALL_CLASSES_SPLIT3,
                                                       BASE_CLASSES_SPLIT3,
                                                       NOVEL_CLASSES_SPLIT3)):
        assert (len(all_), len(base), len(novel)) == (20, 15, 5)
        assert not set(base) & set(novel)
        assert all_ == base + novel
    assert set(ALL_CLASSES_SPLIT1) == set(ALL_CLASSES_SPLIT2) == set(
        ALL_CLASSES_SPLIT3)


def test_coco_splits():
    assert (len(ALL_CLASSES), len(BASE_CLASSES),
            len(NOVEL_CLASSES)) == (80, 60, 20)
    assert set(NOVEL_CLASSES) == {
        'airplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
        'chair', 'cow', 'dining table', 'dog', 'horse', 'motorcycle', 'person',
        'potted plant', 'sheep', 'couch', 'train', 'tv'
    }
    assert set(BASE_CLASSES) | set(NOVEL_CLASSES) == set(ALL_CLASSES)
    assert not set(BASE_CLASSES) & set(NOVEL_CLASSES)


def test_split_names_resolve_and_unknown_names_list_the_valid_ones():
    assert get_split_classes('NOVEL_CLASSES_SPLIT1') == NOVEL_CLASSES_SPLIT1
    assert get_split_classes('BASE_CLASSES', 'coco') == BASE_CLASSES
    assert get_novel_classes('ALL_CLASSES_SPLIT2') == NOVEL_CLASSES_SPLIT2
    assert get_novel_classes('BASE_CLASSES_SPLIT2') == ()
    with pytest.raises(KeyError, match='ALL_CLASSES_SPLIT3'):
        get_split_classes('ALL_CLASSES_SPLIT4')
    with pytest.raises(KeyError, match="'ALL_CLASSES'"):
        get_split_classes('ALL_CLASSES', 'voc')


def test_dataset_rejects_unknown_split_name(voc_root):
    with pytest.raises(KeyError, match='ALL_CLASSES_SPLIT4.*NOVEL_CLASSES'):
        voc_dataset(voc_root, classes='ALL_CLASSES_SPLIT4')


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------
def test_loads_voc_boxes_labels_and_difficult_flags(voc_root, warnings_log):
    dataset = voc_dataset(voc_root, years=('VOC2007', 'VOC2012'))
    assert dataset.metainfo['classes'] == ALL_CLASSES_SPLIT1
    assert dataset.metainfo['novel_classes'] == NOVEL_CLASSES_SPLIT1
    assert dataset.metainfo['base_classes'] == BASE_CLASSES_SPLIT1
    assert [d['img_id'] for d in dataset.get_data_list()
            ] == ['000001', '000002', '000003', '000004', '2012_000001']
    first = dataset.get_data_info(0)
    assert first['img_path'] == osp.join(voc_root, 'VOC2007', 'JPEGImages',
                                         '000001.jpg')
    assert (first['width'], first['height']) == (IMG_W, IMG_H)
    assert first['instances'] == [
        dict(bbox=[1., 2., 19., 29.], bbox_label=label('bird'), ignore_flag=0),
        dict(
            bbox=[29., 4., 49., 39.], bbox_label=label('bird'), ignore_flag=0),
        dict(
            bbox=[9., 9., 59., 44.], bbox_label=label('person'),
            ignore_flag=0),
    ]
    # the difficult dog is kept but ignored; the zero-width cow is skipped
    second = dataset.get_data_info(1)['instances']
    assert [(i['bbox_label'], i['ignore_flag'])
            for i in second] == [(label('bird'), 0), (label('dog'), 1),
                                 (label('bus'), 0)]
    assert counts_by_name(dataset) == dict(
        bird=4, person=3, bus=2, dog=1, sofa=1)
    assert any('000004' in m and 'zero area' in m and 'cow' in m
               for m in warnings_log)


def test_use_difficult_makes_difficult_boxes_targets(voc_root):
    dataset = voc_dataset(voc_root, use_difficult=True)
    assert counts_by_name(dataset)['dog'] == 2
    assert all(i['ignore_flag'] == 0 for d in dataset.get_data_list()
               for i in d['instances'])


def test_min_bbox_size_ignores_small_boxes_in_training(voc_root):
    # as the original: a small box becomes an ignored box (no target, no
    # shot), in training only
    dataset = voc_dataset(voc_root, min_bbox_size=5)
    assert counts_by_name(dataset)['bus'] == 1
    assert [(i['bbox_label'], i['ignore_flag'])
            for i in dataset.get_data_info(2)['instances']
            ] == [(label('person'), 0), (label('bus'), 1), (label('dog'), 0)]


def test_ann_classes_keep_only_those_boxes_of_their_file(voc_root):
    dataset = voc_dataset(
        voc_root,
        ann_cfg=[
            dict(
                type='ann_file',
                ann_file='VOC2007/ImageSets/Main/trainval.txt',
                ann_classes=['bird', 'dog']),
            dict(
                type='ann_file',
                ann_file='VOC2012/ImageSets/Main/trainval.txt',
                ann_classes=['sofa'])
        ])
    assert counts_by_name(dataset) == dict(bird=3, dog=1, sofa=1)
    # 000004 has neither class and is dropped as empty
    assert [d['img_id'] for d in dataset.get_data_list()
            ] == ['000001', '000002', '000003', '2012_000001']


def test_filter_empty_gt_off_keeps_images_without_targets(voc_root):
    dataset = voc_dataset(
        voc_root,
        filter_empty_gt=False,
        ann_cfg=[
            dict(
                type='ann_file',
                ann_file='VOC2007/ImageSets/Main/trainval.txt',
                ann_classes=['sofa'])
        ])
    assert len(dataset) == 4
    assert count_instances(dataset.get_data_list()) == {}


# ---------------------------------------------------------------------------
# few-shot filtering
# ---------------------------------------------------------------------------
def test_num_novel_shots_keeps_the_first_instance_of_each_novel_class(
        voc_root, warnings_log):
    dataset = voc_dataset(
        voc_root, years=('VOC2007', 'VOC2012'), num_novel_shots=1)
    assert counts_by_name(dataset) == dict(
        bird=1, bus=1, sofa=1, person=3, dog=1)
    items = {d['img_id']: d['instances'] for d in dataset.get_data_list()}
    # first bird of 000001 is kept, the second one dropped
    assert [
        i['bbox'] for i in items['000001'] if i['bbox_label'] == label('bird')
    ] == [[1., 2., 19., 29.]]
    # 000002 keeps its bus (first bus) and the ignored dog, loses its bird
    assert [i['bbox_label']
            for i in items['000002']] == [label('dog'),
                                          label('bus')]
    assert [i['bbox_label'] for i in items['2012_000001']] == [label('sofa')]
    # cow and motorbike have no instance at all
    assert any('cow (0 < 1)' in m and 'motorbike (0 < 1)' in m
               for m in warnings_log)


def test_num_base_shots_caps_base_classes_only(voc_root):
    dataset = voc_dataset(voc_root, num_base_shots=1)
    assert counts_by_name(dataset) == dict(bird=3, bus=2, person=1, dog=1)
    # 000004 held only a person, which the cap removed
    assert '000004' not in [d['img_id'] for d in dataset.get_data_list()]


def test_ann_shot_filter_caps_named_classes(voc_root):
    dataset = voc_dataset(
        voc_root, ann_shot_filter=dict(person=2, bird=0, dog=5))
    assert counts_by_name(dataset) == dict(person=2, bus=2, dog=1)
    assert [d['img_id'] for d in dataset.get_data_list()
            ] == ['000001', '000002', '000003']


def test_shot_arguments_are_checked(voc_root):
    with pytest.raises(ValueError, match='either'):
        voc_dataset(voc_root, num_novel_shots=1, ann_shot_filter=dict(bird=1))
    with pytest.raises(ValueError, match=r"\['giraffe'\]"):
        voc_dataset(voc_root, ann_shot_filter=dict(giraffe=1))
    with pytest.raises(ValueError, match='no novel classes'):
        voc_dataset(voc_root, classes=['bird', 'person'], num_novel_shots=1)


def test_custom_classes_with_novel_classes(voc_root):
    dataset = voc_dataset(
        voc_root,
        classes=['person', 'bird'],
        novel_classes=['bird'],
        num_novel_shots=2)
    assert dataset.metainfo['base_classes'] == ('person', )
    assert count_instances(dataset.get_data_list()) == {0: 3, 1: 2}


def test_instance_wise_gives_one_instance_per_item(voc_root):
    dataset = voc_dataset(voc_root, instance_wise=True, num_novel_shots=2)
    items = dataset.get_data_list()
    # bird 2, bus 2, person 3, dog 1 (the difficult dog is not an item)
    assert len(items) == 8
    assert all(len(d['instances']) == 1 for d in items)
    assert [d['img_id'] for d in items] == [
        '000001', '000001', '000001', '000002', '000003', '000003', '000003',
        '000004'
    ]
    assert [SPLIT1[d['instances'][0]['bbox_label']] for d in items] == [
        'bird', 'bird', 'person', 'bus', 'person', 'bus', 'dog', 'person'
    ]


# ---------------------------------------------------------------------------
# save / reload / copy
# ---------------------------------------------------------------------------
def test_saved_dataset_reloads_the_identical_items(voc_root, tmp_path):
    path = str(tmp_path / 'work' / 'saved.json')
    saved = voc_dataset(
        voc_root,
        years=('VOC2007', 'VOC2012'),
        num_novel_shots=1,
        num_base_shots=2,
        save_dataset=True,
        save_dataset_path=path)
    with open(path) as f:
        content = json.load(f)
    assert content['metainfo']['classes'] == SPLIT1
    reloaded = FewShotVOCDataset(
        classes='ALL_CLASSES_SPLIT1',
        ann_cfg=[dict(type='saved_dataset', ann_file=path)])
    assert reloaded.get_data_list() == saved.get_data_list()
    assert counts_by_name(reloaded) == dict(
        bird=1, bus=1, sofa=1, person=2, dog=1)
    # labels follow class names when the classes are ordered differently
    renamed = FewShotVOCDataset(
        classes=['sofa', 'bird'],
        ann_cfg=[dict(type='saved_dataset', ann_file=path)])
    assert count_instances(renamed.get_data_list()) == {0: 1, 1: 1}


def test_save_dataset_needs_a_path(voc_root):
    with pytest.raises(ValueError, match='save_dataset_path'):
        voc_dataset(voc_root, save_dataset=True)


@pytest.mark.parametrize('key', ['data_list', 'data_infos'])
def test_copy_dataset_takes_another_datasets_items(voc_root, key):
    source = voc_dataset(voc_root, instance_wise=True)
    copied = FewShotVOCCopyDataset(
        classes='ALL_CLASSES_SPLIT1', ann_cfg=[{
            key: source.get_data_list()
        }])
    assert copied.get_data_list() == source.get_data_list()
    with pytest.raises(ValueError, match='label 20'):
        FewShotVOCCopyDataset(
            classes='ALL_CLASSES_SPLIT1',
            ann_cfg=[
                dict(data_list=[
                    dict(
                        img_path='a.jpg',
                        img_id='a',
                        width=4,
                        height=4,
                        instances=[
                            dict(
                                bbox=[0, 0, 2, 2],
                                bbox_label=20,
                                ignore_flag=0)
                        ])
                ])
            ])


# ---------------------------------------------------------------------------
# benchmark split files
# ---------------------------------------------------------------------------
def write_tfa_files(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, img_ids in files.items():
        with open(osp.join(folder, name), 'w') as f:
            f.write(''.join(f'datasets/VOC2007/JPEGImages/{i}.jpg\n'
                            for i in img_ids))


def test_default_dataset_reads_benchmark_files_per_class(voc_root, tmp_path):
    ann_root = str(tmp_path / 'few_shot_ann' / 'voc')
    write_tfa_files(
        osp.join(ann_root, 'benchmark_1shot'), {
            'box_1shot_bird_train.txt': ['000002'],
            'box_1shot_bus_train.txt': ['000002'],
            'box_1shot_person_train.txt': ['000004'],
        })
    write_tfa_files(
        osp.join(ann_root, 'seed3'), {
            'box_1shot_bird_train.txt': ['000001'],
            'box_1shot_bus_train.txt': ['000003'],
            'box_1shot_person_train.txt': ['000003'],
        })

    def load(**entry):
        return FewShotVOCDefaultDataset(
            ann_cfg=[entry],
            ann_root=ann_root,
            data_root=voc_root,
            classes=['person', 'bird', 'bus'],
            novel_classes=['bird', 'bus'],
            num_novel_shots=1,
            num_base_shots=1).get_data_list()

    items = load(method='TFA', setting='SPLIT1_1SHOT')
    # files are read in class order; 000002 is in the bird and the bus
    # file: one item with both boxes, and none of its (ignored) dog, which
    # is not a class of the dataset
    assert [d['img_id'] for d in items] == ['000004', '000002']
    assert [i['bbox_label'] for i in items[1]['instances']] == [1, 2]
    assert items[1]['img_path'] == osp.join(voc_root, 'VOC2007', 'JPEGImages',
                                            '000002.jpg')
    assert count_instances(items) == {0: 1, 1: 1, 2: 1}

    seeded = load(method='FSCE', setting='SPLIT1_1SHOT', seed=3)
    assert [d['img_id'] for d in seeded] == ['000003', '000001']
    assert count_instances(seeded) == {0: 1, 1: 1, 2: 1}


@pytest.mark.parametrize('entry, classes, message', [
    (dict(method='Unknown',
          setting='SPLIT1_1SHOT'), 'ALL_CLASSES_SPLIT1', "'Unknown'"),
    (dict(method='TFA', setting='1-SHOT'), 'ALL_CLASSES_SPLIT1', "'1-SHOT'"),
    (dict(method='TFA',
          setting='SPLIT2_1SHOT'), 'ALL_CLASSES_SPLIT1', 'ALL_CLASSES_SPLIT1'),
    (dict(method='TFA',
          setting='SPLIT4_1SHOT'), 'ALL_CLASSES_SPLIT1', 'split 4'),
    (dict(method='TFA', setting='SPLIT1_1SHOT'), ['bird', 'giraffe'],
     r"\['giraffe'\] are not in ALL_CLASSES_SPLIT1"),
    (dict(method='TFA', setting='SPLIT1_1SHOT',
          seed=-1), 'ALL_CLASSES_SPLIT1', 'seed -1'),
])
def test_default_dataset_checks_its_settings(voc_root, tmp_path, entry,
                                             classes, message):
    with pytest.raises(ValueError, match=message):
        FewShotVOCDefaultDataset(
            ann_cfg=[entry],
            ann_root=str(tmp_path),
            data_root=voc_root,
            classes=classes)


def test_default_dataset_names_a_missing_split_file(voc_root, tmp_path):
    with pytest.raises(
            FileNotFoundError,
            match='benchmark_5shot/box_5shot_bird_train.txt'):
        FewShotVOCDefaultDataset(
            ann_cfg=[dict(method='TFA', setting='SPLIT1_5SHOT')],
            ann_root=str(tmp_path),
            data_root=voc_root,
            classes=['bird'])


# ---------------------------------------------------------------------------
# pipelines
# ---------------------------------------------------------------------------
LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def test_getitem_runs_an_mmdet_pipeline(voc_root):
    dataset = DATASETS.build(
        dict(
            type='FewShotVOCDataset',
            data_root=voc_root,
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file='VOC2007/ImageSets/Main/trainval.txt')
            ],
            classes='ALL_CLASSES_SPLIT1',
            pipeline=LOAD + [
                dict(type='Resize', scale=(128, 96), keep_ratio=True),
                dict(type='PackDetInputs')
            ]))
    assert isinstance(dataset, FewShotVOCDataset)
    result = dataset[0]
    assert result['inputs'].shape == (3, 96, 128)
    sample = result['data_samples']
    assert isinstance(sample, DetDataSample)
    assert sample.img_id == '000001'
    assert sample.gt_instances.labels.tolist() == [
        label('bird'), label('bird'),
        label('person')
    ]
    torch.testing.assert_close(
        sample.gt_instances.bboxes.tensor,
        torch.tensor([[2., 4., 38., 58.], [58., 8., 98., 78.],
                      [18., 18., 118., 88.]]))
    # the difficult dog of 000002 goes to the ignored instances
    ignored = dataset[1]['data_samples'].ignored_instances
    assert ignored.labels.tolist() == [label('dog')]


def test_named_pipelines(voc_root):
    dataset = voc_dataset(
        voc_root,
        instance_wise=True,
        multi_pipelines=dict(
            query=LOAD + [
                dict(type='Resize', scale=(128, 96), keep_ratio=True),
                dict(type='PackDetInputs')
            ],
            support=LOAD + [
                dict(type='Resize', scale=(32, 32), keep_ratio=False),
                dict(type='PackDetInputs')
            ]))
    support = dataset.prepare_data(2, 'support')
    query = dataset.prepare_data(2, 'query')
    assert support['inputs'].shape == (3, 32, 32)
    assert query['inputs'].shape == (3, 96, 128)
    assert support['data_samples'].gt_instances.labels.tolist() == [
        label('person')
    ]
    np.testing.assert_allclose(
        support['data_samples'].gt_instances.bboxes.tensor.numpy(),
        [[9 / 2, 9 * 32 / 48, 59 / 2, 44 * 32 / 48]],
        rtol=1e-5)
    with pytest.raises(KeyError, match="'other'.*query"):
        dataset.prepare_data(0, 'other')
    with pytest.raises(ValueError, match='pipeline_key'):
        dataset[0]


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_missing_ann_file_is_named(voc_root):
    with pytest.raises(FileNotFoundError, match='VOC2009/ImageSets'):
        voc_dataset(voc_root, years=('VOC2009', ))


def test_ann_classes_outside_classes_are_named(voc_root):
    with pytest.raises(ValueError, match=r"\['giraffe'\]"):
        voc_dataset(
            voc_root,
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file='VOC2007/ImageSets/Main/trainval.txt',
                    ann_classes=['bird', 'giraffe'])
            ])


def test_missing_xml_and_bad_entries_are_named(voc_root):
    with open(osp.join(voc_root, 'VOC2007/ImageSets/Main/bad.txt'), 'w') as f:
        f.write('000001\n000099\n')
    with pytest.raises(FileNotFoundError, match='line 2.*000099.xml'):
        voc_dataset(
            voc_root,
            ann_cfg=[
                dict(
                    type='ann_file', ann_file='VOC2007/ImageSets/Main/bad.txt')
            ])
    with pytest.raises(ValueError, match="'annfile'"):
        voc_dataset(voc_root, ann_cfg=[dict(type='annfile', ann_file='x.txt')])
    with pytest.raises(ValueError, match='filter_cfg'):
        voc_dataset(voc_root, filter_cfg=dict(filter_empty_gt=True))


# ---------------------------------------------------------------------------
# images named by the annotations
# ---------------------------------------------------------------------------
# image id -> (<filename> of its XML or None, the file on disk)
EXPORTED = {
    'a': ('a.png', 'a.png'),
    'b': ('b.JPG', 'b.JPG'),
    'c': ('batch7/c.jpeg', 'batch7/c.jpeg'),
    'd': ('photo_0004.png', 'photo_0004.png'),
    'e': (None, 'e.png'),  # no <filename>: the id with the extension found
}
TOY_CLASSES = ['circle', 'square']


def write_exported_voc(root, images=EXPORTED):
    """A VOC subset as labelling tools export it: images of any extension
    and folder, named by the XML's <filename>."""
    subset = osp.join(root, 'Export')
    for folder in ('Annotations', 'ImageSets/Main', 'JPEGImages/batch7'):
        os.makedirs(osp.join(subset, folder), exist_ok=True)
    for index, (img_id, (filename, on_disk)) in enumerate(images.items()):
        pixels = np.full((48, 64, 3), 40 * index, dtype=np.uint8)
        pixels[10:30, 8:40] = 255
        Image.fromarray(pixels).save(osp.join(subset, 'JPEGImages', on_disk))
        name_tag = f'<filename>{filename}</filename>' if filename else ''
        with open(osp.join(subset, 'Annotations', f'{img_id}.xml'), 'w') as f:
            f.write(f'<annotation>{name_tag}<size><width>64</width><height>'
                    f'48</height></size><object><name>'
                    f'{TOY_CLASSES[index % 2]}</name><difficult>0</difficult>'
                    '<bndbox><xmin>9</xmin><ymin>11</ymin><xmax>40</xmax>'
                    '<ymax>30</ymax></bndbox></object></annotation>')
    with open(osp.join(subset, 'ImageSets/Main/trainval.txt'), 'w') as f:
        f.write(''.join(f'{img_id}\n' for img_id in images))
    return subset


def exported_dataset(root,
                     ann_file='Export/ImageSets/Main/trainval.txt',
                     **kwargs):
    return FewShotVOCDataset(
        data_root=root,
        ann_cfg=[dict(type='ann_file', ann_file=ann_file)],
        classes=TOY_CLASSES,
        **kwargs)


def test_voc_images_are_the_files_their_xml_names(tmp_path):
    root = str(tmp_path)
    subset = write_exported_voc(root)
    dataset = exported_dataset(
        root, pipeline=LOAD + [dict(type='PackDetInputs')])
    assert [d['img_path'] for d in dataset.get_data_list()] == [
        osp.join(subset, 'JPEGImages', on_disk)
        for _, on_disk in EXPORTED.values()
    ]
    for index in range(len(dataset)):
        item = dataset[index]
        assert item['inputs'].shape == (3, 48, 64)
        assert item['data_samples'].gt_instances.labels.tolist() == [index % 2]
    # split-file lines may name the image or the annotation
    split = tmp_path / 'split.txt'
    split.write_text('Export/JPEGImages/b.JPG\n'
                     'Export/Annotations/c.xml\n'
                     'datasets/Export/JPEGImages/a.png\n')
    assert [(d['img_id'], osp.basename(d['img_path']))
            for d in exported_dataset(root, str(split)).get_data_list()
            ] == [('b', 'b.JPG'), ('c', 'c.jpeg'), ('a', 'a.png')]


def test_voc_exported_data_trains_a_detector(tmp_path):
    """One iteration of the toy TFA base training on the exported data."""
    root = str(tmp_path)
    write_exported_voc(root)
    config = osp.join(
        osp.dirname(__file__), '..', '..', 'configs', 'detection', 'tfa',
        'toy', 'tfa_tiny-r18_fpn_toy_base-training.py')
    cfg = load_config(
        config, {
            'train_dataloader.dataset.data_root':
            root,
            'train_dataloader.dataset.ann_cfg': [
                dict(
                    type='ann_file',
                    ann_file='Export/ImageSets/Main/trainval.txt')
            ],
            'train_dataloader.dataset.classes':
            TOY_CLASSES,
            'train_dataloader.num_workers':
            0,
            'train_dataloader.persistent_workers':
            False,
            'train_dataloader.batch_size':
            2,
            'model.roi_head.bbox_head.num_classes':
            2,
            'train_cfg.max_iters':
            1,
        })
    cfg.work_dir = str(tmp_path / 'work')
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    runner = build_runner(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss) and loss > 0


def test_voc_missing_image_names_it_and_its_annotation(tmp_path):
    root = str(tmp_path)
    subset = write_exported_voc(root)
    os.remove(osp.join(subset, 'JPEGImages', 'batch7', 'c.jpeg'))
    image = osp.join(subset, 'JPEGImages', 'batch7/c.jpeg')
    xml = osp.join(subset, 'Annotations', 'c.xml')
    with pytest.raises(
            FileNotFoundError,
            match=f'trainval.txt, line 3 \\(c\\): image {image} does not '
            f'exist \\(the image of {xml}\\)'):
        exported_dataset(root)


def test_voc_unreadable_image_and_xml_are_named(tmp_path):
    root = str(tmp_path)
    subset = write_exported_voc(root)
    image = osp.join(subset, 'JPEGImages', 'b.JPG')
    open(image, 'wb').close()
    dataset = exported_dataset(root, pipeline=LOAD)
    with pytest.raises(DataError, match=f'image {image} is empty'):
        dataset[1]
    with open(osp.join(subset, 'Annotations', 'a.xml'), 'w') as f:
        f.write('<annotation><object><name>circle</name></object>')
    with pytest.raises(DataError, match='a.xml is not valid XML'):
        exported_dataset(root)
    with open(osp.join(subset, 'Annotations', 'a.xml'), 'w') as f:
        f.write('<annotation><filename>a.png</filename><object><name>circle'
                '</name><bndbox><xmin>1</xmin><ymin>x</ymin><xmax>5</xmax>'
                '<ymax>6</ymax></bndbox></object></annotation>')
    with pytest.raises(
            DataError,
            match="a.xml, object 0: <ymin> must be a number, "
            "got 'x'"):
        exported_dataset(root)


def test_copy_dataset_matches_labels_by_class_name(voc_root):
    source = voc_dataset(voc_root, years=('VOC2007', 'VOC2012'))
    names = ['sofa', 'person', 'bird']
    copied = FewShotVOCCopyDataset(
        classes=names,
        ann_cfg=[
            dict(
                data_list=source.get_data_list(),
                classes=source.metainfo['classes'])
        ])
    expected = {
        name: count
        for name, count in counts_by_name(source).items() if name in names
    }
    assert counts_by_name(copied) == expected
