"""Few-shot COCO datasets on a tiny COCO-format json."""
import json
import logging
import os
import os.path as osp

import pytest
import torch
from mmengine.logging import MMLogger
from PIL import Image

from mmfewshot.detection.datasets import (ALL_CLASSES, COCO_CATEGORY_IDS,
                                          FewShotCocoCopyDataset,
                                          FewShotCocoDataset,
                                          FewShotCocoDefaultDataset,
                                          count_instances)
from mmfewshot.detection.registry import DATASETS

IMG_W, IMG_H = 64, 48
# A category list in a different order than ALL_CLASSES, with official ids.
CATEGORIES = [
    dict(id=COCO_CATEGORY_IDS[name], name=name)
    for name in ('dog', 'person', 'truck', 'couch')
]
# image id -> [(class, [x, y, w, h], extra annotation keys)]
IMAGES = {
    11: [('person', [1, 2, 10, 20], {}), ('dog', [20, 5, 30, 30], {}),
         ('person', [0, 0, 64, 48], dict(iscrowd=1))],
    12: [('truck', [5, 5, 10, 10], {}), ('person', [8, 8, 0, 10], {}),
         ('dog', [3, 3, 5, 5], dict(ignore=True))],
    13: [('couch', [10, 10, 40, 30], {}), ('person', [30, 4, 20, 40], {})],
    14: [],
}


def coco_json(images, categories=CATEGORIES):
    anns = []
    for img_id, objects in images.items():
        for name, bbox, extra in objects:
            anns.append({
                'id': len(anns) + 1,
                'image_id': img_id,
                'category_id': COCO_CATEGORY_IDS[name],
                'bbox': bbox,
                'area': bbox[2] * bbox[3],
                'iscrowd': 0,
                **extra
            })
    content = dict(
        images=[
            dict(
                id=img_id,
                file_name=f'{img_id:012d}.jpg',
                width=IMG_W,
                height=IMG_H) for img_id in images
        ],
        annotations=anns)
    if categories is not None:
        content['categories'] = categories
    return content


@pytest.fixture
def coco_root(tmp_path):
    root = tmp_path / 'coco'
    os.makedirs(root / 'train2017')
    os.makedirs(root / 'annotations')
    for index, img_id in enumerate(IMAGES):
        Image.new('RGB', (IMG_W, IMG_H), (50 * index, 90, 30)).save(
            root / 'train2017' / f'{img_id:012d}.jpg')
    with open(root / 'annotations' / 'instances_train2017.json', 'w') as f:
        json.dump(coco_json(IMAGES), f)
    return str(root)


def coco_dataset(root, **kwargs):
    kwargs.setdefault('classes', 'ALL_CLASSES')
    kwargs.setdefault('ann_cfg', [
        dict(
            type='ann_file',
            ann_file='annotations/instances_train2017.json',
            img_prefix='train2017/')
    ])
    return FewShotCocoDataset(data_root=root, **kwargs)


def test_loads_coco_boxes_crowd_and_ignore(coco_root):
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    MMLogger.get_current_instance().addHandler(handler)
    try:
        dataset = coco_dataset(coco_root)
    finally:
        MMLogger.get_current_instance().removeHandler(handler)
    items = dataset.get_data_list()
    # image 14 has no box and is dropped by filter_empty_gt
    assert [d['img_id'] for d in items] == [11, 12, 13]
    assert items[0]['img_path'] == osp.join(coco_root, 'train2017',
                                            '000000000011.jpg')
    person, dog = ALL_CLASSES.index('person'), ALL_CLASSES.index('dog')
    assert items[0]['instances'] == [
        dict(bbox=[1., 2., 11., 22.], bbox_label=person, ignore_flag=0),
        dict(bbox=[20., 5., 50., 35.], bbox_label=dog, ignore_flag=0),
        dict(bbox=[0., 0., 64., 48.], bbox_label=person, ignore_flag=1),
    ]
    # the zero-width person is skipped (with a warning), the ignored dog
    # left out
    assert [i['bbox_label']
            for i in items[1]['instances']] == [ALL_CLASSES.index('truck')]
    assert any('zero area' in m and 'image 12' in m for m in records)
    assert count_instances(items) == {
        person: 2,
        dog: 1,
        ALL_CLASSES.index('truck'): 1,
        ALL_CLASSES.index('couch'): 1
    }


def test_coco_split_names_and_shots(coco_root):
    novel = coco_dataset(coco_root, classes='NOVEL_CLASSES')
    assert novel.metainfo['novel_classes'] == novel.metainfo['classes']
    # truck is a base class and not in NOVEL_CLASSES
    assert 'truck' not in novel.metainfo['classes']
    capped = coco_dataset(coco_root, num_novel_shots=1, num_base_shots=0)
    counts = count_instances(capped.get_data_list())
    assert counts == {
        ALL_CLASSES.index('person'): 1,
        ALL_CLASSES.index('dog'): 1,
        ALL_CLASSES.index('couch'): 1
    }
    # image 12 only held a truck (base, capped to 0)
    assert [d['img_id'] for d in capped.get_data_list()] == [11, 13]


def test_coco_instance_wise_and_copy(coco_root):
    dataset = coco_dataset(
        coco_root, classes=['person', 'dog'], instance_wise=True)
    items = dataset.get_data_list()
    assert [(d['img_id'], d['instances'][0]['bbox_label'])
            for d in items] == [(11, 0), (11, 1), (13, 0)]
    copied = FewShotCocoCopyDataset(
        classes=['person', 'dog'], ann_cfg=[dict(data_infos=items)])
    assert copied.get_data_list() == items


def test_coco_default_dataset_reads_tfa_jsons(coco_root, tmp_path):
    ann_root = tmp_path / 'few_shot_ann' / 'coco'
    # TFA's published files carry no categories list
    files = {
        'person': {
            13: [('person', [30, 4, 20, 40], {})]
        },
        'dog': {
            11: [('dog', [20, 5, 30, 30], {})]
        },
    }
    for folder in ('benchmark_1shot', 'seed2'):
        os.makedirs(ann_root / folder)
        for name, images in files.items():
            with open(
                    ann_root / folder / f'full_box_1shot_{name}_trainval.json',
                    'w') as f:
                json.dump(coco_json(images, categories=None), f)
    for seed in (None, 2):
        dataset = FewShotCocoDefaultDataset(
            ann_cfg=[dict(method='Attention_RPN', setting='1SHOT', seed=seed)],
            ann_root=str(ann_root),
            data_root=coco_root,
            data_prefix=dict(img='train2017/'),
            classes=['person', 'dog'],
            num_base_shots=1,
            novel_classes=['dog'],
            num_novel_shots=1)
        items = dataset.get_data_list()
        assert [d['img_id'] for d in items] == [13, 11]
        assert items[0]['img_path'] == osp.join(coco_root, 'train2017',
                                                '000000000013.jpg')
        assert count_instances(items) == {0: 1, 1: 1}
    with pytest.raises(ValueError, match="'SPLIT1_10SHOT'"):
        FewShotCocoDefaultDataset(
            ann_cfg=[dict(method='TFA', setting='SPLIT1_10SHOT')],
            classes='ALL_CLASSES')


def test_coco_pipeline_and_errors(coco_root):
    dataset = DATASETS.build(
        dict(
            type='FewShotCocoDataset',
            data_root=coco_root,
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file='annotations/instances_train2017.json',
                    data_prefix=dict(img='train2017/'))
            ],
            classes=['person', 'couch'],
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='PackDetInputs')
            ]))
    result = dataset[1]
    assert result['inputs'].shape == (3, IMG_H, IMG_W)
    gt = result['data_samples'].gt_instances
    assert gt.labels.tolist() == [1, 0]
    torch.testing.assert_close(
        gt.bboxes.tensor,
        torch.tensor([[10., 10., 50., 40.], [30., 4., 50., 44.]]))
    with pytest.raises(FileNotFoundError, match='instances_val2017.json'):
        coco_dataset(
            coco_root,
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file='annotations/instances_val2017.json')
            ])
    with pytest.raises(ValueError, match=r"\['dog'\]"):
        coco_dataset(
            coco_root,
            classes='BASE_CLASSES',
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file='annotations/instances_train2017.json',
                    ann_classes=['truck', 'zebra', 'dog'])
            ])
    with pytest.raises(KeyError, match='ALL_CLASSES_SPLIT1.*BASE_CLASSES'):
        coco_dataset(coco_root, classes='ALL_CLASSES_SPLIT1')
