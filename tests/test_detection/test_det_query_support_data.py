"""Data additions of the query-support detectors: the ``min_bbox_area``
image filter and the support instances a wrapper draws from."""
import os
import os.path as osp

import pytest
from PIL import Image

from mmfewshot.detection.datasets import (FewShotVOCCopyDataset,
                                          FewShotVOCDataset, NWayKShotDataset,
                                          QueryAwareDataset)

CLASSES = ('cat', 'dog', 'bird')
# image -> boxes (class, x1, y1, x2, y2, difficult)
IMAGES = {
    'big': [('cat', 0, 0, 40, 40, 0), ('dog', 40, 0, 80, 40, 0)],
    'small': [('cat', 0, 0, 40, 40, 0), ('bird', 50, 0, 60, 10, 0)],
    # the small box is difficult: not a target, the image stays
    'small_difficult': [('dog', 0, 0, 40, 40, 0), ('bird', 50, 0, 60, 10, 1)],
    'birds': [('bird', 0, 0, 40, 40, 0), ('bird', 40, 0, 80, 40, 0)],
}


@pytest.fixture(scope='module')
def voc_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('voc'))
    for subdir in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        os.makedirs(osp.join(root, subdir))
    for name, boxes in IMAGES.items():
        Image.new('RGB', (96, 64), (10, 20, 30)).save(
            osp.join(root, 'JPEGImages', f'{name}.jpg'))
        objects = ''.join(
            f'<object><name>{c}</name><difficult>{d}</difficult><bndbox>'
            f'<xmin>{x1 + 1}</xmin><ymin>{y1 + 1}</ymin><xmax>{x2 + 1}'
            f'</xmax><ymax>{y2 + 1}</ymax></bndbox></object>'
            for c, x1, y1, x2, y2, d in boxes)
        with open(osp.join(root, 'Annotations', f'{name}.xml'), 'w') as f:
            f.write(f'<annotation><filename>{name}.jpg</filename><size>'
                    '<width>96</width><height>64</height></size>'
                    f'{objects}</annotation>')
    with open(osp.join(root, 'ImageSets/Main/trainval.txt'), 'w') as f:
        f.write('\n'.join(IMAGES) + '\n')
    return root


def _dataset(root, **kwargs):
    return FewShotVOCDataset(
        data_root=root,
        ann_cfg=[
            dict(type='ann_file', ann_file='ImageSets/Main/trainval.txt')
        ],
        classes=CLASSES,
        pipeline=[],
        **kwargs)


def _image_ids(dataset):
    return sorted(
        {dataset.get_data_info(i)['img_id']
         for i in range(len(dataset))})


def test_min_bbox_area_drops_images_with_a_small_target_box(voc_root):
    assert _image_ids(_dataset(voc_root)) == sorted(IMAGES)
    # 10 x 10 = 100 < 32 * 32: the whole image goes, its cat too
    filtered = _dataset(voc_root, min_bbox_area=32 * 32)
    assert _image_ids(filtered) == ['big', 'birds', 'small_difficult']
    # the threshold is inclusive: a 10 x 10 box passes at 100
    assert _image_ids(_dataset(voc_root, min_bbox_area=100)) == sorted(IMAGES)
    # instance-wise items of the kept images only
    wise = _dataset(voc_root, min_bbox_area=32 * 32, instance_wise=True)
    assert len(wise) == 2 + 2 + 1
    # never in test mode
    test = _dataset(voc_root, min_bbox_area=32 * 32, test_mode=True)
    assert _image_ids(test) == sorted(IMAGES)


@pytest.mark.parametrize('wrapper', [QueryAwareDataset, NWayKShotDataset])
def test_support_data_list_holds_every_support_instance_once(
        voc_root, wrapper):
    support = _dataset(voc_root, instance_wise=False)
    dataset = wrapper(_dataset(voc_root), support, num_support_ways=2, seed=0)
    items = dataset.get_support_data_list()
    assert all(len(item['instances']) == 1 for item in items)
    assert all('sample_idx' not in item for item in items)
    labels = [item['instances'][0]['bbox_label'] for item in items]
    # cat 2, dog 2, bird 3 (the difficult bird is not a support instance)
    assert labels == [0, 0, 1, 1, 2, 2, 2]
    keys = {(item['img_id'], tuple(item['instances'][0]['bbox']))
            for item in items}
    assert len(keys) == 7
    # a copy dataset rebuilds exactly these instances
    copied = FewShotVOCCopyDataset(
        ann_cfg=[dict(data_list=items, classes=list(CLASSES))],
        classes=CLASSES,
        instance_wise=True,
        pipeline=[])
    assert len(copied) == 7
    assert copied.get_data_list() == items


def test_num_used_support_shots_limit_the_support_data_list(voc_root):
    dataset = NWayKShotDataset(
        _dataset(voc_root),
        _dataset(voc_root),
        num_support_ways=2,
        num_used_support_shots=1,
        seed=3)
    items = [(item['img_id'], item['instances'][0]['bbox_label'])
             for item in dataset.get_support_data_list()]
    # the first instance of every class, in the order of the list file
    assert items == [('big', 0), ('big', 1), ('small', 2)]
