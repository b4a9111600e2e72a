"""Our detection data path against the original toolbox's own outputs.

The fixtures in ``tests/data/reference/data`` hold inputs and outputs of
MMFewShot 0.1.0 (mmdet 2.28.2, mmcv-full 1.7.2), written by
``tools/reference/generate_golden_data.py`` in the original's environment
(see tools/reference/README.md); these tests run ours on the same inputs and
need no legacy package. Tolerances, per output:

- ``CropResizeInstance``, ``CropInstance`` and the MPSR auxiliary pipeline
  (``CropInstance``, ``ResizeToMultiScale``, ``MultiImageRandomCrop``,
  ``MultiImageRandomFlip`` with numpy's global seed): pixel arrays exactly
  equal, boxes within 0.01 px. Both sides do the same integer arithmetic,
  the same OpenCV bilinear resize of the same array and, for the random
  crop and flip, the same draws from numpy's global random state.
- ``GenerateMask`` then the data preprocessor of the Meta R-CNN and
  FSDetView configs, against the original's ``Normalize`` then
  ``GenerateMask``: within 1e-3 on values up to about 150 (the original
  normalises before the resize and ours after; the float32 rounding of the
  two orders differs by about 1e-5), mask channel exactly 0/1 at the same
  pixels, boxes within 0.01 px.
- VOC / COCO metrics on fixed detections: within 1e-6 of the original's
  unrounded values (the same numpy / pycocotools arithmetic; 1e-4 is the
  bar of the issue), and within 5e-4 of the values it returns rounded to 3
  decimals.
- The support instances ``NWayKShotDataset`` keeps (``support_pool=
  'first'``, the default) and the item lists of
  ``TwoBranchDataset``'s reweighting: equal (no randomness).
- ``QueryAwareDataset``: the frequency of every sampled outcome (query
  image, query class, negative classes, shots) within 4.5 standard errors
  of the original's (9000 items of the original, 2700 of ours); the draws
  come from different random generators, so only their distributions can
  be compared.
"""
import hashlib
import json
import math
import os.path as osp
from collections import Counter, defaultdict

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.datasets import BaseDetDataset
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.datasets import (CropInstance, CropResizeInstance,
                                          GenerateMask, NWayKShotDataset,
                                          QueryAwareDataset, TwoBranchDataset)
from mmfewshot.detection.evaluation import FewShotCocoMetric, FewShotVOCMetric
from mmfewshot.detection.registry import MODELS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURES = osp.join(ROOT, 'tests', 'data', 'reference', 'data')
BOX_ATOL = 0.01
# repetitions of the toy query images in our sampling run
OUR_SAMPLING_REPEATS = 300
METRIC_ATOL = 1e-6
ROUNDED_ATOL = 5e-4 + 1e-9


def _load_json(name):
    with open(osp.join(FIXTURES, name)) as f:
        return json.load(f)


CASES = _load_json('cases.json')


@pytest.fixture(scope='module')
def arrays():
    with np.load(osp.join(FIXTURES, 'transforms.npz')) as data:
        return dict(data)


def _results(arrays, case, label=3):
    img = arrays[f'input/{case["image"]}']
    return dict(
        img=img.copy(),
        img_path=f'{case["image"]}.png',
        img_shape=img.shape[:2],
        ori_shape=img.shape[:2],
        gt_bboxes=HorizontalBoxes(
            torch.tensor([case['box']], dtype=torch.float32)),
        gt_bboxes_labels=np.array([label]),
        gt_ignore_flags=np.array([False]))


def _box(results):
    return results['gt_bboxes'].tensor.numpy().reshape(-1, 4)


def _assert_same_output(results, arrays, key):
    expected = arrays[f'{key}/img']
    assert results['img'].shape == expected.shape, key
    assert results['img'].dtype == expected.dtype, key
    np.testing.assert_array_equal(results['img'], expected, err_msg=key)
    np.testing.assert_allclose(
        _box(results), arrays[f'{key}/box'], atol=BOX_ATOL, err_msg=key)


def _ids(cases):
    return [case['key'] for case in cases]


# ------------------------------------------------------------ transforms


@pytest.mark.parametrize(
    'case',
    CASES['crop_resize'] + CASES['crop_resize_320'],
    ids=_ids(CASES['crop_resize'] + CASES['crop_resize_320']))
def test_crop_resize_instance_equals_the_original(arrays, case):
    kwargs = case.get('kwargs', dict(num_context_pixels=16))
    transform = CropResizeInstance(**kwargs)
    _assert_same_output(transform(_results(arrays, case)), arrays, case['key'])


@pytest.mark.parametrize(
    'case', CASES['crop_instance'], ids=_ids(CASES['crop_instance']))
def test_crop_instance_equals_the_original(arrays, case):
    transform = CropInstance(**case['kwargs'])
    _assert_same_output(transform(_results(arrays, case)), arrays, case['key'])


def _support_preprocessor(config):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'detection', config))
    return MODELS.build(cfg.model.data_preprocessor)


@pytest.mark.parametrize('config', [
    'meta_rcnn/meta-rcnn_r50_c4.py',
    'fsdetview/fsdetview_r50_c4.py',
])
def test_generate_mask_and_support_normalisation_equal_the_original(
        arrays, config):
    preprocessor = _support_preprocessor(config)
    for case in CASES['generate_mask']:
        key = case['key']
        results = GenerateMask(**case['kwargs'])(_results(arrays, case))
        np.testing.assert_allclose(
            _box(results), arrays[f'{key}/box'], atol=BOX_ATOL, err_msg=key)
        image = torch.from_numpy(results['img']).permute(2, 0, 1)
        inputs = preprocessor.preprocess_support(dict(inputs=[image]))
        ours = inputs['inputs'][0].permute(1, 2, 0).numpy()
        expected = arrays[f'{key}/img']
        assert ours.shape == expected.shape, key
        np.testing.assert_array_equal(ours[..., 3], expected[..., 3])
        np.testing.assert_allclose(
            ours[..., :3], expected[..., :3], atol=1e-3, err_msg=key)


def _auxiliary_pipeline(crop_sides=None):
    """The MPSR auxiliary pipeline of our configs from the crop to the flip
    (loading and packing left out); ``crop_sides`` replaces the released
    crop sides (32 to 800), the resize scales keeping their ratio to them.
    """
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'detection', '_base_', 'datasets',
                 'two_branch', 'pipelines.py'))
    steps = {step['type']: step for step in cfg.auxiliary_pipeline}
    if crop_sides is not None:
        resize = steps['ResizeToMultiScale']
        crop = steps['MultiImageRandomCrop']
        ratio = resize['scales'][0][0] / crop['crop_sizes'][0][0]
        resize['scales'] = [(s * ratio, s * ratio) for s in crop_sides]
        crop['crop_sizes'] = [(s, s) for s in crop_sides]
    return Compose([
        TRANSFORMS.build(steps[name])
        for name in ('CropInstance', 'ResizeToMultiScale',
                     'MultiImageRandomCrop', 'MultiImageRandomFlip')
    ])


def test_mpsr_auxiliary_pipeline_equals_the_original(arrays):
    for case in CASES['mpsr']:
        pipeline = _auxiliary_pipeline(case['scales'])
        np.random.seed(case['seed'])
        outputs = pipeline(_results(arrays, case))
        assert [r['flip'] for r in outputs] == case['flip'], case['key']
        for scale, results in zip(case['scales'], outputs):
            _assert_same_output(results, arrays, f'{case["key"]}/{scale}')


def test_mpsr_released_scales_equal_the_original(arrays):
    pipeline = _auxiliary_pipeline()
    for case in _load_json('mpsr_full_scales.json'):
        np.random.seed(case['seed'])
        outputs = pipeline(_results(arrays, case))
        assert len(outputs) == len(case['outputs'])
        for results, expected in zip(outputs, case['outputs']):
            assert list(results['img'].shape) == expected['shape']
            assert results['flip'] == expected['flip']
            np.testing.assert_allclose(
                _box(results), expected['box'], atol=BOX_ATOL)
            digest = hashlib.sha256(
                np.ascontiguousarray(results['img']).tobytes()).hexdigest()
            assert digest == expected['sha256'], expected['shape']


# -------------------------------------------------------- sampling


class _ToyDataset(BaseDetDataset):
    """Items generated from label lists; instance ``k`` of an image has the
    box ``[4k, 2, 4k + 3, 6]``, so outputs name their instances."""

    def __init__(self, images, classes):
        self.images = images
        super().__init__(
            metainfo=dict(classes=classes), pipeline=[], serialize_data=False)

    def load_data_list(self):
        return [
            dict(
                img_path=f'img_{idx}.jpg',
                img_id=idx,
                height=8,
                width=8 * len(labels),
                instances=[
                    dict(
                        bbox=[4.0 * k, 2.0, 4.0 * k + 3, 6.0],
                        bbox_label=label,
                        ignore_flag=0) for k, label in enumerate(labels)
                ]) for idx, labels in enumerate(self.images)
        ]


def _sample(output):
    image = int(output['img_path'][len('img_'):-len('.jpg')])
    return image, [int(i['bbox'][0]) // 4 for i in output['instances']]


def _our_sampling_counts(golden):
    images = golden['images']
    dataset = QueryAwareDataset(
        _ToyDataset(images, tuple(golden['classes'])),
        _ToyDataset(images, tuple(golden['classes'])),
        num_support_ways=golden['num_support_ways'],
        num_support_shots=golden['num_support_shots'],
        repeat_times=OUR_SAMPLING_REPEATS,
        seed=0)
    shots = golden['num_support_shots']
    counts = defaultdict(Counter)
    for idx in range(len(dataset)):
        item = dataset[idx]
        image, query_instances = _sample(item['query_data'])
        query_class = images[image][query_instances[0]]
        support = []
        for output in item['support_data']:
            support_image, (instance, ) = _sample(output)
            support.append((support_image, instance))
        ways = [images[i][k] for i, k in support[::shots]]
        counts[f'image_at/{idx % len(images)}'][f'{image}'] += 1
        counts[f'query_class/{image}'][f'{query_class}'] += 1
        counts[f'query_instances/{image}'][json.dumps(query_instances)] += 1
        counts[f'negatives/{image}'][json.dumps(sorted(ways[1:]))] += 1
        for way, label in enumerate(ways):
            role = 'positive' if way == 0 else 'negative'
            drawn = sorted(support[way * shots:(way + 1) * shots])
            counts[f'{role}_shots/{image}/{label}'][json.dumps(
                [list(s) for s in drawn])] += 1
    return counts


def test_query_aware_sampling_follows_the_original():
    golden = _load_json('query_aware_sampling.json')
    theirs = golden['counts']
    ours = _our_sampling_counts(golden)
    for key in sorted(set(theirs) | set(ours)):
        their_counts, our_counts = Counter(theirs.get(key, {})), ours[key]
        their_total = sum(their_counts.values())
        our_total = sum(our_counts.values())
        if min(their_total, our_total) == 0:
            # a case only one side produced must be rare on that side
            assert max(their_total, our_total) < 20, key
            continue
        for outcome in set(their_counts) | set(our_counts):
            p_theirs = their_counts[outcome] / their_total
            p_ours = our_counts[outcome] / our_total
            pooled = (their_counts[outcome] + our_counts[outcome]) / (
                their_total + our_total)
            std_err = math.sqrt(pooled * (1 - pooled) *
                                (1 / their_total + 1 / our_total))
            assert abs(p_theirs - p_ours) <= 4.5 * std_err, (
                f'{key} {outcome}: original {p_theirs:.3f} '
                f'({their_total}), ours {p_ours:.3f} ({our_total})')


def test_nway_kshot_support_instances_equal_the_original():
    golden = _load_json('query_aware_sampling.json')['nway_kshot']
    images, classes = golden['images'], tuple('abcde')
    for setting in golden['settings']:
        dataset = NWayKShotDataset(
            _ToyDataset(images, classes),
            _ToyDataset(images, classes),
            num_support_ways=2,
            num_support_shots=setting['num_support_shots'],
            one_support_shot_per_image=setting['one_support_shot_per_image'],
            num_used_support_shots=setting['num_used_support_shots'],
            support_pool='first',
            seed=0)
        shots = setting['num_support_shots']
        ours = {}
        for label, refs in dataset.support_pool.by_label.items():
            refs = [list(ref) for ref in refs]
            # the original stores a short class's list repeated
            if len(refs) < shots:
                refs = refs * (shots // len(refs) + 1)
            ours[str(label)] = refs
        theirs = {k: v for k, v in setting['instances'].items() if v}
        assert ours == theirs, setting


class _FolderList(BaseDetDataset):
    """One instance per item, images at the given paths."""

    def __init__(self, paths):
        self.paths = paths
        super().__init__(
            metainfo=dict(classes=('a', )), pipeline=[], serialize_data=False)

    def load_data_list(self):
        return [
            dict(
                img_path=f'data/VOCdevkit/{path}',
                img_id=idx,
                height=8,
                width=8,
                instances=[
                    dict(bbox=[0, 0, 4, 4], bbox_label=0, ignore_flag=0)
                ]) for idx, path in enumerate(self.paths)
        ]


def test_two_branch_reweighting_equals_the_original():
    for case in _load_json('query_aware_sampling.json')['two_branch']['cases']:
        items = _FolderList(case['filenames'])
        dataset = TwoBranchDataset(items, items, reweight_dataset=True)
        assert dataset.main_refs == case['main']
        dataset.convert_main_to_auxiliary()
        assert [idx for idx, _ in dataset.auxiliary_refs] == \
            case['auxiliary']


# ------------------------------------------------------------ metrics


def _voc_cases():
    golden = _load_json('voc_metric.json')
    for scenario, content in golden['scenarios'].items():
        for setting in content['outputs']:
            yield pytest.param(
                golden, scenario, setting, id=f'{scenario}-{setting}')


@pytest.mark.parametrize('golden,scenario,setting', list(_voc_cases()))
def test_voc_metric_equals_the_original(golden, scenario, setting):
    content = golden['scenarios'][scenario]
    expected = content['outputs'][setting]
    splits = list(golden['class_splits'])
    metric = FewShotVOCMetric(
        class_splits=splits, iou_thrs=expected['iou_thrs'], nproc=1)
    metric.dataset_meta = dict(classes=tuple(golden['classes']))
    results = []
    for ann, dets in zip(content['annotations'], content['detections']):
        ann = dict(
            bboxes=np.array(ann['bboxes'], dtype=np.float32).reshape(-1, 4),
            labels=np.array(ann['labels'], dtype=np.int64),
            bboxes_ignore=np.array(ann['bboxes_ignore'],
                                   dtype=np.float32).reshape(-1, 4),
            labels_ignore=np.array(ann['labels_ignore'], dtype=np.int64))
        dets = [np.array(d, dtype=np.float32).reshape(-1, 5) for d in dets]
        results.append((ann, dets))
    ours = metric.compute_metrics(results)
    returned = expected['returned']
    assert ours['mAP'] == pytest.approx(returned['mAP'], abs=METRIC_ATOL)
    for iou_thr, per_threshold in zip(expected['iou_thrs'],
                                      expected['per_threshold']):
        ap_key = f'AP{int(iou_thr * 100):02d}'
        assert ours[ap_key] == pytest.approx(
            per_threshold['mean_ap'], abs=METRIC_ATOL)
        assert ours[ap_key] == pytest.approx(
            returned[ap_key], abs=ROUNDED_ATOL)
        for split in splits:
            assert ours[f'{split}_{ap_key}'] == pytest.approx(
                returned[f'{split}: {ap_key}'], abs=ROUNDED_ATOL)
    for split in splits:
        assert ours[f'{split}_mAP'] == pytest.approx(
            expected['split_mAP'][split], abs=METRIC_ATOL)


def test_coco_metric_equals_the_original(tmp_path):
    golden = _load_json('coco_metric.json')
    ann_file = tmp_path / 'instances.json'
    ann_file.write_text(json.dumps(golden['annotation_file']))
    splits = list(golden['class_splits'])
    metric = FewShotCocoMetric(class_splits=splits, ann_file=str(ann_file))
    metric.dataset_meta = dict(classes=tuple(golden['classes']))
    image_ids = [image['id'] for image in golden['annotation_file']['images']]
    results = []
    for image_id, dets in zip(image_ids, golden['detections']):
        dets = [np.array(d, dtype=np.float32).reshape(-1, 5) for d in dets]
        labels = np.concatenate(
            [np.full(len(d), label) for label, d in enumerate(dets)])
        boxes = np.concatenate(dets)
        results.append(({},
                        dict(
                            img_id=image_id,
                            bboxes=boxes[:, :4],
                            scores=boxes[:, 4],
                            labels=labels.astype(np.int64))))
    ours = metric.compute_metrics(results)
    items = golden['stats_items'][:6]
    for group, stats in golden['stats'].items():
        our_prefix = '' if group == 'ALL' else f'{group}_'
        their_prefix = '' if group == 'ALL' else f'{group} '
        for index, item in enumerate(items):
            value = ours[f'{our_prefix}bbox_{item}']
            assert value == pytest.approx(
                stats[index], abs=METRIC_ATOL), (group, item)
            assert value == pytest.approx(
                golden['returned'][f'{their_prefix}bbox_{item}'],
                abs=ROUNDED_ATOL), (group, item)
