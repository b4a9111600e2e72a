"""Every detection config is well named, loads, builds (ImageNet weights
off) and runs a training step on generated data in the layout it expects.

The generated ``data/`` folder holds a tiny VOCdevkit (VOC2007 + VOC2012,
all 20 classes), the TFA benchmark split files of all three VOC splits, a
tiny COCO (all 80 categories, ``trainvalno5k.json`` / ``5k.json``) and its
10/30-shot split files; images are small, and the pipelines' resize scales
are shrunk so that a ResNet-101 step takes about a second.
"""
import collections
import copy
import json
import math
import os
import os.path as osp
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from PIL import Image

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.datasets import (ALL_CLASSES, ALL_CLASSES_SPLIT1,
                                          COCO_CATEGORY_IDS,
                                          build_fewshot_dataloader)
from mmfewshot.detection.registry import (DATASETS, METRICS, MODELS,
                                          PARAM_SCHEDULERS)

ROOT = Path(__file__).resolve().parents[2]
CONFIG_ROOT = ROOT / 'configs' / 'detection'
# method folder -> runnable configs of the benchmarks (toy configs aside)
ZOO_SIZES = dict(
    tfa=21,
    fsce=30,
    meta_rcnn=21,
    mpsr=21,
    fsdetview=21,
    attention_rpn=21,
    defrcn=46)
METHODS = tuple(
    sorted(p.name for p in CONFIG_ROOT.iterdir()
           if p.is_dir() and p.name != '_base_'))
# {method}_{backbone}_{neck}_[misc_]{dataset}_{setting}.py
NAME = re.compile(r'^(?P<method>[a-z0-9-]+)_(?P<backbone>[a-z0-9-]+)_'
                  r'(?P<neck>fpn|c4)(_[a-z0-9-]+)*_(?P<dataset>voc-split[123]|'
                  r'coco|toy)_(?P<setting>base-training|\d+shot-fine-tuning)'
                  r'\.py$')
SMALL = (96, 64)


def runnable_configs():
    configs = []
    for method in METHODS:
        for path in sorted((CONFIG_ROOT / method).rglob('*.py')):
            if path.parent != CONFIG_ROOT / method:
                configs.append(path)
    return configs


CONFIGS = runnable_configs()
IDS = [str(p.relative_to(CONFIG_ROOT)) for p in CONFIGS]
# DeFRCN's configs whose training step runs by default: one of each model
# and dataset kind (base training, FSOD and gFSOD fine-tuning on VOC and
# COCO, the toy); the others differ from these in shots, split and
# schedule only (test_defrcn checks those against the authors' configs)
DEFRCN_STEP = {
    'defrcn/voc/split1/defrcn_r101_c4_voc-split1_base-training.py',
    'defrcn/voc/split1/defrcn_r101_c4_fsod_voc-split1_1shot-fine-tuning.py',
    'defrcn/voc/split1/defrcn_r101_c4_gfsod_voc-split1_10shot-fine-tuning.py',
    'defrcn/coco/defrcn_r101_c4_coco_base-training.py',
    'defrcn/coco/defrcn_r101_c4_fsod_coco_1shot-fine-tuning.py',
    'defrcn/coco/defrcn_r101_c4_gfsod_coco_30shot-fine-tuning.py',
}


def _step_config(path, id_):
    if id_.startswith('defrcn/') and 'toy' not in path.parts \
            and id_ not in DEFRCN_STEP:
        return pytest.param(path, marks=pytest.mark.slow)
    return path


STEP_CONFIGS = [_step_config(path, id_) for path, id_ in zip(CONFIGS, IDS)]


def test_the_tfa_zoo_is_complete():
    names = {p.name for p in CONFIGS if 'tfa' in p.parts}
    for split in (1, 2, 3):
        assert f'tfa_r101_fpn_voc-split{split}_base-training.py' in names
        for shots in (1, 2, 3, 5, 10):
            assert (f'tfa_r101_fpn_voc-split{split}_{shots}shot-fine-tuning'
                    '.py') in names
    for name in ('base-training', '10shot-fine-tuning', '30shot-fine-tuning'):
        assert f'tfa_r101_fpn_coco_{name}.py' in names
    assert len([n for n in names if 'toy' not in n]) == 21


@pytest.mark.parametrize('method', METHODS)
def test_every_method_folder_has_its_zoo_and_readme(method):
    assert method in ZOO_SIZES, f'add {method} to ZOO_SIZES'
    configs = [
        p for p in CONFIGS if p.relative_to(CONFIG_ROOT).parts[0] == method
        and 'toy' not in p.parts
    ]
    assert len(configs) == ZOO_SIZES[method]
    assert (CONFIG_ROOT / method / 'README.md').is_file()


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_name_and_folder(path):
    match = NAME.match(path.name)
    assert match, f'{path.name} does not follow the naming rule'
    assert path.relative_to(CONFIG_ROOT).parts[0].replace('_', '-') == \
        match['method']
    dataset = match['dataset']
    folder = path.parent.name
    if dataset.startswith('voc'):
        assert folder == dataset.replace('voc-', '')
    else:
        assert folder == dataset


# --------------------------------------------------------------------------
# generated data
# --------------------------------------------------------------------------
def _image(path, width=64, height=48, value=90):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.new('RGB', (width, height), (value, 120, 200 - value)).save(path)


def _voc_subset(root, subset, images):
    """``images``: {img_id: [class names]}, two boxes per image."""
    for img_id, names in images.items():
        _image(osp.join(root, subset, 'JPEGImages', f'{img_id}.jpg'))
        objects = ''.join(
            f'<object><name>{name}</name><difficult>0</difficult><bndbox>'
            f'<xmin>{4 + 20 * i}</xmin><ymin>6</ymin><xmax>{24 + 20 * i}'
            '</xmax><ymax>40</ymax></bndbox></object>'
            for i, name in enumerate(names))
        os.makedirs(osp.join(root, subset, 'Annotations'), exist_ok=True)
        with open(osp.join(root, subset, 'Annotations', f'{img_id}.xml'),
                  'w') as f:
            f.write(f'<annotation><filename>{img_id}.jpg</filename><size>'
                    '<width>64</width><height>48</height><depth>3</depth>'
                    f'</size>{objects}</annotation>')


def _write_lines(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(f'{line}\n' for line in lines))


def _write_voc(data):
    root = osp.join(data, 'VOCdevkit')
    classes = list(ALL_CLASSES_SPLIT1)
    trainval = {
        f'{i:06d}': [classes[2 * i % 20], classes[(2 * i + 1) % 20]]
        for i in range(10)
    }
    test = {f'{i:06d}': [classes[(3 * i) % 20]] for i in range(10, 14)}
    _voc_subset(root, 'VOC2007', {**trainval, **test})
    _write_lines(
        osp.join(root, 'VOC2007/ImageSets/Main/trainval.txt'), trainval)
    _write_lines(osp.join(root, 'VOC2007/ImageSets/Main/test.txt'), test)
    more = {f'2012_{i:06d}': [classes[i], classes[19 - i]] for i in range(4)}
    _voc_subset(root, 'VOC2012', more)
    _write_lines(osp.join(root, 'VOC2012/ImageSets/Main/trainval.txt'), more)
    for shots in (1, 2, 3, 5, 10):
        for name in classes:
            _write_lines(
                osp.join(data, 'few_shot_ann/voc', f'benchmark_{shots}shot',
                         f'box_{shots}shot_{name}_train.txt'),
                [
                    f'datasets/VOC2007/JPEGImages/{img_id}.jpg'
                    for img_id, names in trainval.items() if name in names
                ])


def _write_coco(data):
    categories = [
        dict(id=COCO_CATEGORY_IDS[name], name=name) for name in ALL_CLASSES
    ]
    images, annotations = [], []
    for index in range(44):
        file_name = f'COCO_train2014_{index:012d}.jpg'
        _image(osp.join(data, 'coco/trainval2014', file_name), value=index)
        images.append(
            dict(id=index + 1, file_name=file_name, width=64, height=48))
        for slot in range(2):
            name = ALL_CLASSES[(2 * index + slot) % 80]
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=index + 1,
                    category_id=COCO_CATEGORY_IDS[name],
                    bbox=[4 + 24 * slot, 6, 20, 30],
                    area=600,
                    iscrowd=0))
    ann_root = osp.join(data, 'few_shot_ann/coco')
    os.makedirs(osp.join(ann_root, 'annotations'))

    def dump(path, image_ids, with_categories=True):
        content = dict(
            images=[i for i in images if i['id'] in image_ids],
            annotations=[a for a in annotations if a['image_id'] in image_ids])
        if with_categories:
            content['categories'] = categories
        with open(path, 'w') as f:
            json.dump(content, f)

    dump(
        osp.join(ann_root, 'annotations/trainvalno5k.json'), set(range(1, 41)))
    dump(osp.join(ann_root, 'annotations/5k.json'), set(range(41, 45)))
    for shots in (1, 2, 3, 5, 10, 30):
        folder = osp.join(ann_root, f'benchmark_{shots}shot')
        os.makedirs(folder)
        for name in ALL_CLASSES:
            ids = {
                a['image_id']
                for a in annotations
                if a['category_id'] == COCO_CATEGORY_IDS[name]
                and a['image_id'] <= 40
            }
            dump(
                osp.join(folder, f'full_box_{shots}shot_{name}_trainval.json'),
                ids,
                with_categories=False)


def _write_toy(data, load_script):
    load_script('tools/data/detection/make_toy_dataset.py').main([
        osp.join(data, 'toy_det'), '--num-trainval', '60', '--num-test', '4',
        '--size', '64', '--shots', '1', '5', '--split-seeds', '0'
    ])


@pytest.fixture(scope='module')
def data_cwd(tmp_path_factory, load_script):
    """A working directory whose ``data/`` holds every dataset the configs
    read."""
    cwd = tmp_path_factory.mktemp('det_configs')
    data = str(cwd / 'data')
    _write_voc(data)
    _write_coco(data)
    _write_toy(data, load_script)
    return cwd


# --------------------------------------------------------------------------
# one training step per config
# --------------------------------------------------------------------------
def _shrink(node):
    """Small resize scales everywhere in a pipeline config (support crops
    too)."""
    if isinstance(node, dict):
        if node.get('type') == 'RandomChoiceResize':
            node['scales'] = [SMALL]
        elif node.get('type') == 'Resize' and 'scale' in node:
            node['scale'] = SMALL
        elif node.get('type') in ('GenerateMask', 'CropResizeInstance'):
            node['target_size'] = (32, 32)
        if 'num_support_shots' in node:
            # the generated data holds one or two instances of a class
            node['num_support_shots'] = 1
        if node.get('one_support_shot_per_image'):
            # the generated images hold two classes, each in one or two
            # images: one instance per image would leave classes without
            # any (the original's pool, kept by the configs)
            node['one_support_shot_per_image'] = False
        if node.get('min_bbox_area'):
            # the generated boxes are about 20 x 30 pixels
            node['min_bbox_area'] = 16 * 16
        elif node.get('type') == 'ResizeToMultiScale':
            # MPSR's object crops at one scale, 32 pixels: an 8x8 map at FPN
            # level 0 (test_det_mpsr_configs checks the scales match)
            node['scales'] = [(36.6, 36.6)]
        elif node.get('type') == 'MultiImageRandomCrop':
            node['crop_sizes'] = [(32, 32)]
        for key in ('rpn_select_levels', 'roi_select_levels',
                    'rpn_select_borders'):
            if node.get(key):
                node[key] = [0]
        for value in node.values():
            _shrink(value)
    elif isinstance(node, list):
        for value in node:
            _shrink(value)


def _dataset_cfgs(node):
    """The dataset configs of a dataloader config, wrapped ones included."""
    found = []
    if isinstance(node, dict):
        if 'ann_cfg' in node:
            found.append(node)
        for value in node.values():
            found.extend(_dataset_cfgs(value))
    return found


def _training_batch(loader_cfg):
    """Two training samples collated as the config's dataloader does (a
    paired loader gives query and support, or main and auxiliary, data)."""
    loader_cfg = copy.deepcopy(loader_cfg.to_dict())
    for dataset in _dataset_cfgs(loader_cfg):
        dataset.pop('save_dataset', None)
    loader_cfg.update(batch_size=2, num_workers=0, persistent_workers=False)
    for key in ('support_dataloader', 'auxiliary_dataloader'):
        if key in loader_cfg:
            loader_cfg[key] = dict(loader_cfg[key], num_workers=0)
    loader = build_fewshot_dataloader(loader_cfg, seed=0)
    return loader.dataset, next(iter(loader))


# the most recently used models (configs of one folder share theirs); a
# bound keeps the memory of the whole run at a few models
_MODELS: 'collections.OrderedDict[str, tuple]' = collections.OrderedDict()
_MAX_MODELS = 4


def _model(model_cfg):
    """Build (once per distinct model config among the recent ones)
    without ImageNet weights; a model built before starts again from its
    initial weights."""
    model_cfg = copy.deepcopy(model_cfg)
    # the backbone and a C4 detector's res5 head start from ImageNet
    for part in (model_cfg.get('backbone', {}),
                 model_cfg.get('roi_head', {}).get('shared_head') or {}):
        assert part.get('init_cfg') is None or \
            part['init_cfg']['type'] == 'Pretrained'
        part.pop('init_cfg', None)
    # and DeFRCN's calibration from a classifier trained on ImageNet
    if model_cfg.get('calibration'):
        model_cfg.calibration.checkpoint = None
    key = json.dumps(model_cfg.to_dict(), sort_keys=True, default=str)
    if key not in _MODELS:
        model = MODELS.build(model_cfg)
        model.init_weights()
        _MODELS[key] = model, copy.deepcopy(model.state_dict())
        if len(_MODELS) > _MAX_MODELS:
            _MODELS.popitem(last=False)
    _MODELS.move_to_end(key)
    model, initial = _MODELS[key]
    model.load_state_dict(initial)
    return model


@pytest.mark.parametrize('path', STEP_CONFIGS, ids=IDS)
def test_config_builds_and_trains_a_step(path, data_cwd, monkeypatch):
    monkeypatch.chdir(data_cwd)
    cfg = Config.fromfile(str(path))
    _shrink(cfg._cfg_dict)
    # few RoIs: a C4 res5 head costs ~1 GFLOP per RoI
    cfg.model.train_cfg.rcnn.sampler.num = 16
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        train_set, batch = _training_batch(cfg.train_dataloader)
        val_set = DATASETS.build(cfg.val_dataloader.dataset)
        assert len(train_set) > 0 and len(val_set) > 0
        # the evaluated splits are classes of the evaluated dataset
        for key in ('val_evaluator', 'test_evaluator'):
            metric = METRICS.build(copy.deepcopy(cfg[key]))
            metric.dataset_meta = val_set.metainfo
        model = _model(cfg.model)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        for scheduler in cfg.param_scheduler:
            PARAM_SCHEDULERS.build(
                dict(scheduler, optimizer=optim_wrapper.optimizer))
        model.train()
        losses = model.train_step(batch, optim_wrapper)
    assert losses and all(math.isfinite(v.item()) for v in losses.values())
    num_classes = len(train_set.metainfo['classes'])
    if cfg.model.type == 'AttentionRPNDetector':
        # a class-agnostic head: "is it the support's class?"
        num_classes = 1
    assert model.roi_head.bbox_head.num_classes == num_classes
    assert cfg.train_cfg.val_interval <= cfg.train_cfg.max_iters
    load_from = cfg.get('load_from')
    surgered = re.match(
        r'^work_dirs/([^/]+)/base_model_(random_init|remove)_bbox_head\.pth$',
        load_from or '')
    if 'fine-tuning' in path.name and not surgered:
        # the last checkpoint of the base training (no surgery); the
        # re-initialised layers exist in the model
        base = re.match(r'^work_dirs/([^/]+)/iter_(\d+)\.pth$', load_from)
        assert base, load_from
        base_cfgs = list(CONFIG_ROOT.rglob(f'{base[1]}.py'))
        assert base_cfgs, load_from
        assert Config.fromfile(str(base_cfgs[0])).train_cfg.max_iters == \
            int(base[2])
        names = dict(model.named_parameters())
        assert all(
            any(n.startswith(prefix + '.') for n in names)
            for prefix in cfg.get('reinit_on_load', []))
        assert any(
            d.get('save_dataset') for d in _dataset_cfgs(cfg.train_dataloader))
    elif 'fine-tuning' in path.name:
        # the base training config whose surgered checkpoint is loaded
        assert list(CONFIG_ROOT.rglob(f'{surgered[1]}.py')), load_from
        assert cfg.train_dataloader.dataset.save_dataset
    else:
        assert load_from is None
