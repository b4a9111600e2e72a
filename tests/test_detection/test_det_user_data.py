"""Detection data as users bring it: phone photos without ``<size>``, test
sets that carry training filters, class lists written as one string, a test
class without support, labelling-tool quirks. Nothing gives a wrong result
without a word."""
import copy
import importlib.util
import json
import logging
import os
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import eval_map
from mmengine.config import Config
from PIL import Image

from mmfewshot.detection.datasets import (FewShotCocoDataset,
                                          FewShotVOCCopyDataset,
                                          FewShotVOCDataset,
                                          read_dataset_classes)
from mmfewshot.detection.engine import check_support_classes
from mmfewshot.utils import (ConfigError, ConfigKeyError, DataError,
                             build_runner, load_config)

ROOT = Path(__file__).resolve().parents[2]
META_RCNN_1SHOT = str(ROOT / 'configs/detection/meta_rcnn/toy/'
                      'meta-rcnn_tiny-r18_c4_toy_1shot-fine-tuning.py')
LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def warnings_of(records):
    return [m for level, m in records if level >= logging.WARNING]


def write_voc(root, images, with_size=True):
    """``images``: ``{img_id: (PIL image, [(name, (x1, y1, x2, y2)), ...])}``
    with 1-based VOC corners; writes JPEGs, XMLs and trainval.txt."""
    for folder in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    for img_id, (image, objects) in images.items():
        image.save(
            osp.join(root, 'JPEGImages', f'{img_id}.jpg'),
            exif=image.info.get('exif', b''))
        size = (f'<size><width>{image.width}</width><height>{image.height}'
                '</height><depth>3</depth></size>' if with_size else '')
        boxes = ''.join(
            f'<object><name>{name}</name><difficult>0</difficult><bndbox>'
            f'<xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax>'
            f'<ymax>{b[3]}</ymax></bndbox></object>' for name, b in objects)
        with open(osp.join(root, 'Annotations', f'{img_id}.xml'), 'w') as f:
            f.write(f'<annotation><filename>{img_id}.jpg</filename>{size}'
                    f'{boxes}</annotation>')
    with open(osp.join(root, 'ImageSets/Main/trainval.txt'), 'w') as f:
        f.write(''.join(f'{img_id}\n' for img_id in images))


def voc_dataset(root, **kwargs):
    kwargs.setdefault('classes', ['cat', 'dog'])
    kwargs.setdefault(
        'ann_cfg',
        [dict(type='ann_file', ann_file='ImageSets/Main/trainval.txt')])
    return FewShotVOCDataset(data_root=str(root), **kwargs)


def phone_photo(width=40, height=20, orientation=6):
    """A JPEG stored ``width`` x ``height`` that viewers (and mmcv's
    loaders) turn by its EXIF orientation."""
    image = Image.new('RGB', (width, height), (90, 120, 30))
    exif = image.getexif()
    exif[0x0112] = orientation
    image.info['exif'] = exif.tobytes()
    return image


# ------------------------------------------------------------- EXIF (3)
def test_exif_rotated_photo_without_size_keeps_its_boxes(
        tmp_path, log_records):
    # stored 40x20, loaded 20x40: the box lies below the stored height
    write_voc(
        tmp_path,
        dict(photo=(phone_photo(), [('cat', (4, 26, 16, 36))])),
        with_size=False)
    dataset = voc_dataset(tmp_path, pipeline=LOAD)
    item = dataset.get_data_info(0)
    assert (item['width'], item['height']) == (20, 40)
    assert item['instances'] == [
        dict(bbox=[3., 25., 15., 35.], bbox_label=0, ignore_flag=0)
    ]
    loaded = dataset[0]
    assert loaded['img'].shape[:2] == (40, 20)
    assert not warnings_of(log_records)
    # loaded as stored ('unchanged'), the box is outside: said, not kept
    stored = voc_dataset(
        tmp_path,
        filter_empty_gt=False,
        pipeline=[dict(type='LoadImageFromFile', color_type='unchanged')])
    assert (stored.get_data_info(0)['width'],
            stored.get_data_info(0)['height']) == (40, 20)
    assert stored.get_data_info(0)['instances'] == []
    assert any('zero area' in m for m in warnings_of(log_records))


# --------------------------------------------- training-only filters (4)
def test_evaluation_ground_truth_is_never_filtered(tmp_path, log_records):
    image = Image.new('RGB', (64, 48), (20, 40, 60))
    objects = [('cat', (5, 5, 35, 40)), ('cat', (50, 10, 54, 14))]
    write_voc(tmp_path, dict(a=(image, objects)))
    test_set = voc_dataset(tmp_path, test_mode=True, min_bbox_size=8)
    instances = test_set.get_data_info(0)['instances']
    assert [i['ignore_flag'] for i in instances] == [0, 0]
    assert any('min_bbox_size=8: not applied in test_mode' in m
               for m in warnings_of(log_records))
    # a detector that finds the big cat only misses half of the cats
    gt = dict(
        bboxes=np.array([i['bbox'] for i in instances], np.float32),
        labels=np.array([i['bbox_label'] for i in instances]))
    detections = [[
        np.array([[4., 4., 34., 39., 0.9]], np.float32),
        np.zeros((0, 5), np.float32)
    ]]
    mean_ap, per_class = eval_map(detections, [gt], iou_thr=0.5, logger=None)
    assert per_class[0]['ap'] == pytest.approx(0.5, abs=0.01)
    # in training the small box is an ignored box, as in the original
    train_set = voc_dataset(tmp_path, min_bbox_size=8)
    assert [i['ignore_flag']
            for i in train_set.get_data_info(0)['instances']] == [0, 1]
    # neither do the other training filters
    log_records.clear()
    capped = voc_dataset(
        tmp_path,
        test_mode=True,
        min_bbox_area=100,
        ann_shot_filter=dict(cat=1),
        instance_wise=True)
    assert len(capped) == 1
    assert len(capped.get_data_info(0)['instances']) == 2
    assert any("min_bbox_area=100, ann_shot_filter={'cat': 1}, "
               'instance_wise=True: not applied in test_mode' in m
               for m in warnings_of(log_records))


# --------------------------------------------- class lists as strings (5)
@pytest.fixture
def cat_dog(tmp_path):
    image = Image.new('RGB', (64, 48), (20, 40, 60))
    write_voc(
        tmp_path,
        dict(
            a=(image, [('cat', (2, 2, 20, 20)), ('dog', (30, 5, 60, 40))]),
            b=(image, [('10', (2, 2, 20, 20)), ('1', (30, 5, 60, 40)),
                       ('0', (3, 30, 20, 45))])))
    return tmp_path


def test_one_string_is_one_class_or_a_classes_file(cat_dog, tmp_path):
    digits = voc_dataset(cat_dog, classes=['0', '1', '10'], novel_classes='10')
    assert digits.metainfo['novel_classes'] == ('10', )
    assert digits.metainfo['base_classes'] == ('0', '1')
    cats = voc_dataset(
        cat_dog,
        ann_cfg=[
            dict(
                type='ann_file',
                ann_file='ImageSets/Main/trainval.txt',
                ann_classes='cat')
        ])
    assert [
        i['bbox_label'] for d in cats.get_data_list() for i in d['instances']
    ] == [0]
    assert voc_dataset(cat_dog, classes='dog').metainfo['classes'] == ('dog', )
    classes_file = tmp_path / 'classes.txt'
    classes_file.write_text('\ufeffdog\n\ncat \n', encoding='utf-8')
    assert voc_dataset(
        cat_dog,
        classes=str(classes_file)).metainfo['classes'] == ('dog', 'cat')
    copied = FewShotVOCCopyDataset(
        ann_cfg=[
            dict(data_list=cats.get_data_list(), classes=str(classes_file))
        ],
        classes=['cat', 'dog'])
    # label 0 of the copied items names 'dog' in the file's classes
    assert copied.get_data_info(0)['instances'][0]['bbox_label'] == 1
    with pytest.raises(
            ConfigKeyError, match="unknown class split "
            "'ALL_CLASSES_SPLT1'"):
        voc_dataset(cat_dog, classes='ALL_CLASSES_SPLT1')
    with pytest.raises(ConfigError, match=r"`novel_classes` holds 10 \(int\)"):
        voc_dataset(cat_dog, classes=['0', '1', '10'], novel_classes=[10])
    with pytest.raises(ConfigError, match='shot cap of class .* True'):
        voc_dataset(cat_dog, novel_classes=['dog'], num_novel_shots=True)
    with pytest.raises(ConfigError, match='`ann_shot_filter` must be a dict'):
        voc_dataset(cat_dog, ann_shot_filter=['cat'])


# ------------------------------------------------ labelling-tool quirks
def test_near_miss_class_names_and_bad_coordinates_are_named(
        tmp_path, log_records):
    image = Image.new('RGB', (64, 48), (20, 40, 60))
    write_voc(
        tmp_path,
        dict(
            a=(image, [('Cat', (2, 2, 20, 20)), ('zebra',
                                                 (3, 3, 9,
                                                  9)), ('dog', (30, 5, 60,
                                                                40))])))
    dataset = voc_dataset(tmp_path)
    assert [i['bbox_label']
            for i in dataset.get_data_info(0)['instances']] == [1]
    assert any("'Cat' (1 boxes) is not 'cat'" in m
               for m in warnings_of(log_records))
    assert any(level == logging.INFO and 'zebra (1)' in m
               for level, m in log_records)
    write_voc(tmp_path, dict(a=(image, [('cat', (2, 'nan', 20, 20))])))
    with pytest.raises(
            DataError,
            match=r'a.xml: box 0 \(cat\) of image a has '
            'coordinates .*nan.* finite numbers'):
        voc_dataset(tmp_path)


def test_coco_sizes_and_orphan_annotations(tmp_path, log_records):
    Image.new('RGB', (32, 24)).save(tmp_path / '1.jpg')
    coco = dict(
        images=[dict(id=1, file_name='1.jpg', width=32, height=24)],
        annotations=[
            dict(id=1, image_id=1, category_id=1, bbox=[1, 1, 10, 10]),
            # the image id written as a string: not the image above
            dict(id=2, image_id='1', category_id=1, bbox=[2, 2, 10, 10])
        ],
        categories=[dict(id=1, name='cat')])
    ann_file = tmp_path / 'coco.json'
    ann_file.write_text(json.dumps(coco))

    def load():
        return FewShotCocoDataset(
            ann_cfg=[dict(type='ann_file', ann_file=str(ann_file))],
            classes=['cat'],
            data_prefix=dict(img=str(tmp_path)))

    assert len(load().get_data_info(0)['instances']) == 1
    assert any("left out 1 annotation(s) of 1 image id(s) that are not in "
               "its `images`, e.g. image_id '1'" in m
               for m in warnings_of(log_records))
    coco['images'][0]['width'] = '32'
    ann_file.write_text(json.dumps(coco))
    with pytest.raises(DataError, match="image 1 .* has width '32'"):
        load()
    coco['images'][0]['width'] = 32
    coco['annotations'][0]['bbox'] = [1, 'a', 10, 10]
    ann_file.write_text(json.dumps(coco))
    with pytest.raises(
            DataError,
            match=r"annotation 1 needs a bbox "
            r"\[x, y, width, height\] of numbers, got \[1, 'a'"):
        load()


def test_demo_support_folder_reads_every_format(tmp_path, capsys):
    path = ROOT / 'demo/demo_query_support_detection.py'
    spec = importlib.util.spec_from_file_location('demo_qs', path)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    support = tmp_path / 'support'
    (support / 'star').mkdir(parents=True)
    Image.new('RGB', (16, 16)).save(support / 'star' / 'a.webp')
    (support / 'star' / 'a.txt').write_text('1 1 10 10')
    Image.new('RGB', (16, 16)).save(support / 'circle_2.TIFF')
    (support / 'notes.md').write_text('support of the demo')
    images, labels, boxes = demo.read_support_dir(str(support))
    assert [osp.basename(p) for p in images] == ['circle_2.TIFF', 'a.webp']
    assert labels == ['circle', 'star']
    assert boxes == [None, [1., 1., 10., 10.]]
    out = capsys.readouterr().out
    assert 'notes.md' in out and 'a.txt' not in out


# ----------------------------------------------- support of every class (6)
class CachedModel(torch.nn.Module):

    def __init__(self, labels):
        super().__init__()
        self.support_cache = {label: {} for label in labels}


def test_support_must_cover_the_evaluated_classes():
    classes = ['circle', 'square', 'star']
    check_support_classes(CachedModel([0, 1, 2]), classes, classes, 'test')
    with pytest.raises(
            DataError,
            match=r"no instance of class\(es\) "
            r"\['star'\] of the evaluated dataset"):
        check_support_classes(CachedModel([0, 1]), classes, classes, 'test')
    with pytest.raises(
            ConfigError,
            match="labels class 'star' 0 but the "
            'evaluated dataset labels it 2'):
        check_support_classes(CachedModel([0]), ['star'], classes, 'test')


def test_model_initialisation_refuses_a_class_without_support(
        tmp_path, monkeypatch):
    # the toy 1-shot Meta R-CNN tested on 3 classes, with support of 2
    image = Image.new('RGB', (64, 64), (20, 40, 60))
    write_voc(
        tmp_path / 'toy',
        dict(
            a=(image, [('circle', (2, 2, 30, 30)),
                       ('square', (34, 34, 60, 60))]),
            b=(image, [('star', (5, 5, 40, 40))])))
    monkeypatch.chdir(tmp_path)
    cfg = load_config(META_RCNN_1SHOT)
    classes = ['circle', 'square', 'star']
    cfg.model.roi_head.bbox_head.update(num_classes=3, num_meta_classes=3)
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.test_dataloader.dataset.update(
        data_root='toy',
        classes=classes,
        ann_cfg=[
            dict(type='ann_file', ann_file='ImageSets/Main/trainval.txt')
        ])
    support = copy.deepcopy(cfg.test_cfg.model_init_dataloader)
    support.copy_from_train = False
    support.dataset.update(
        type='FewShotVOCDataset',
        data_root='toy',
        classes=classes,
        instance_wise=True,
        ann_cfg=[
            dict(
                type='ann_file',
                ann_file='ImageSets/Main/trainval.txt',
                ann_classes=['circle', 'square'])
        ])
    cfg.test_cfg.model_init_dataloader = support
    cfg.test_evaluator.class_splits = dict(ALL=classes)
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'load_from',
                'val_dataloader', 'val_cfg', 'val_evaluator',
                'param_scheduler'):
        cfg.pop(key, None)
    cfg.work_dir = str(tmp_path / 'work_dir')
    runner = build_runner(Config(cfg.to_dict(), format_python_code=False))
    with pytest.raises(
            DataError,
            match=r"test_cfg: the support set has no "
            r"instance of class\(es\) \['star'\]"):
        runner.test()


def test_empty_dataset_after_filters_is_named(cat_dog):
    with pytest.raises(
            DataError,
            match=r"no item is left of the 2 images "
            r"read from ann_cfg: none holds a target instance of "
            r"the classes \['cow'\]"):
        voc_dataset(cat_dog, classes=['cow'])


def test_surgery_reads_novel_classes_given_as_one_string(tmp_path):
    path = ROOT / 'tools/detection/misc/initialize_bbox_head.py'
    spec = importlib.util.spec_from_file_location('surgery_tool', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    config = tmp_path / 'one_novel.py'
    base = ROOT / 'configs/detection/tfa/toy/' \
        'tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py'
    config.write_text(f"_base_ = ['{base}']\n"
                      "train_dataloader = dict(dataset=dict(novel_classes="
                      "'star'))\n")
    classes, novel, shapes = tool._config_target(str(config))
    assert novel == ('star', )
    assert len(classes) == 8


def test_dataset_classes_setting_read_the_same_everywhere(tmp_path):
    classes_file = tmp_path / 'classes.txt'
    classes_file.write_text('cat\ndog\n')
    assert read_dataset_classes('cat') == ('cat', )
    assert read_dataset_classes(str(classes_file)) == ('cat', 'dog')
    assert read_dataset_classes('NOVEL_CLASSES_SPLIT1')[0] == 'bird'
    assert len(read_dataset_classes('BASE_CLASSES', dataset='coco')) == 60
    with pytest.raises(
            ConfigKeyError, match="unknown class split "
            "'base_classes_split1'"):
        read_dataset_classes('base_classes_split1')
    with pytest.raises(ConfigError, match='`classes` must name classes'):
        read_dataset_classes(None)
