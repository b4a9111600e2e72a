import copy
import json

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmfewshot.detection.datasets.class_splits import (ALL_CLASSES,
                                                       ALL_CLASSES_SPLIT1,
                                                       BASE_CLASSES,
                                                       BASE_CLASSES_SPLIT1,
                                                       COCO_CATEGORY_IDS,
                                                       NOVEL_CLASSES)
from mmfewshot.detection.evaluation import FewShotCocoMetric, FewShotVOCMetric
from mmfewshot.detection.registry import METRICS

VOC_SPLITS = ['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1']


def _tensor(values, width):
    return torch.tensor(values, dtype=torch.float32).reshape(-1, width)


def _voc_sample(gts, preds):
    """gts: [(box, label)], preds: [(box, score, label)]."""
    return dict(
        gt_instances=dict(
            bboxes=_tensor([b for b, _ in gts], 4),
            labels=torch.tensor([lb for _, lb in gts], dtype=torch.long)),
        ignored_instances=dict(
            bboxes=torch.zeros((0, 4)), labels=torch.zeros(0).long()),
        pred_instances=dict(
            bboxes=_tensor([b for b, _, _ in preds], 4),
            scores=torch.tensor([s for _, s, _ in preds]),
            labels=torch.tensor([lb for _, _, lb in preds], dtype=torch.long)))


def _evaluate(metric, classes, samples):
    metric.dataset_meta = dict(classes=tuple(classes))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _voc_gts_one_box_per_class():
    """One image per class of split 1, its box depends on the label."""
    gts = []
    for label in range(len(ALL_CLASSES_SPLIT1)):
        box = [10 + label, 20, 60 + 2 * label, 90]
        gts.append([(box, label)])
    return gts


@pytest.mark.parametrize('eval_mode', ['11points', 'area'])
def test_voc_perfect_predictions(eval_mode):
    samples = [
        _voc_sample(gts, [(box, 0.9, label) for box, label in gts])
        for gts in _voc_gts_one_box_per_class()
    ]
    metric = METRICS.build(
        dict(
            type='FewShotVOCMetric',
            class_splits=VOC_SPLITS,
            eval_mode=eval_mode,
            iou_thrs=[0.5, 0.75],
            nproc=1))
    results = _evaluate(metric, ALL_CLASSES_SPLIT1, samples)
    assert list(results) == [
        'pascal_voc/mAP', 'pascal_voc/AP50', 'pascal_voc/AP75',
        'pascal_voc/BASE_CLASSES_SPLIT1_mAP',
        'pascal_voc/BASE_CLASSES_SPLIT1_AP50',
        'pascal_voc/BASE_CLASSES_SPLIT1_AP75',
        'pascal_voc/NOVEL_CLASSES_SPLIT1_mAP',
        'pascal_voc/NOVEL_CLASSES_SPLIT1_AP50',
        'pascal_voc/NOVEL_CLASSES_SPLIT1_AP75'
    ]
    for value in results.values():
        assert value == pytest.approx(1.0)


def test_voc_only_base_predictions():
    base = set(range(len(BASE_CLASSES_SPLIT1)))
    samples = [
        _voc_sample(gts, [(box, 0.9, label)
                          for box, label in gts if label in base])
        for gts in _voc_gts_one_box_per_class()
    ]
    metric = FewShotVOCMetric(
        class_splits=VOC_SPLITS, eval_mode='area', nproc=1)
    results = _evaluate(metric, ALL_CLASSES_SPLIT1, samples)
    assert results['pascal_voc/BASE_CLASSES_SPLIT1_mAP'] == pytest.approx(1.0)
    assert results['pascal_voc/NOVEL_CLASSES_SPLIT1_mAP'] == 0.0
    assert results['pascal_voc/NOVEL_CLASSES_SPLIT1_AP50'] == 0.0
    assert results['pascal_voc/mAP'] == pytest.approx(15 / 20)


def test_voc_explicit_split_and_class_order():
    # classes in a custom order; the split is given as an explicit list
    classes = ['dog', 'cat', 'cow']
    samples = [
        _voc_sample([([0, 0, 20, 20], 1)], [([0, 0, 20, 20], 0.9, 1)]),
        _voc_sample([([0, 0, 20, 20], 2)], [([30, 30, 50, 50], 0.9, 2)]),
    ]
    metric = FewShotVOCMetric(
        class_splits=dict(pets=['cat', 'dog'], farm=['cow']),
        eval_mode='area',
        nproc=1)
    results = _evaluate(metric, classes, samples)
    # 'dog' has no ground truth: the all-class mAP leaves it out, a split
    # counts it as 0 (the original's split mean)
    assert results['pascal_voc/pets_mAP'] == pytest.approx(0.5)
    assert results['pascal_voc/farm_mAP'] == 0.0
    assert results['pascal_voc/mAP'] == pytest.approx(0.5)


def _hand_case_samples():
    # class 'cat', two images, legacy VOC boxes (+1 in width / height).
    # image 0: GT A; predictions: A exactly (0.9), a box far away (0.8)
    # image 1: GT B; predictions: B exactly (0.7)
    return [
        _voc_sample([([0, 0, 9, 9], 0)], [([0, 0, 9, 9], 0.9, 0),
                                          ([50, 50, 59, 59], 0.8, 0)]),
        _voc_sample([([20, 20, 39, 39], 0)], [([20, 20, 39, 39], 0.7, 0)]),
    ]


def test_voc_hand_computed_ap():
    # Sorted by score: TP, FP, TP with 2 ground truths
    #   recall    = [1/2, 1/2, 2/2]
    #   precision = [1/1, 1/2, 2/3]
    # area: precision envelope = [1, 2/3, 2/3];
    #   AP = (0.5 - 0) * 1 + (1.0 - 0.5) * 2/3 = 0.833333
    # 11 points: recall thresholds 0.0..0.5 (6 points) reach precision 1,
    #   0.6..1.0 (5 points) only the last detection, precision 2/3;
    #   AP = (6 * 1 + 5 * 2/3) / 11 = 0.848485
    area = _evaluate(
        FewShotVOCMetric(eval_mode='area', nproc=1), ['cat'],
        _hand_case_samples())
    assert area['pascal_voc/mAP'] == pytest.approx(0.833333, abs=1e-4)
    points = _evaluate(
        FewShotVOCMetric(eval_mode='11points', nproc=1), ['cat'],
        _hand_case_samples())
    assert points['pascal_voc/mAP'] == pytest.approx(0.848485, abs=1e-4)


def test_voc_iou_thresholds_are_averaged():
    # GT [0, 0, 9, 9] (100 px legacy area), prediction [0, 0, 9, 6]
    # (70 px): IoU = 0.7, a hit at 0.5 and a miss at 0.75.
    samples = [_voc_sample([([0, 0, 9, 9], 0)], [([0, 0, 9, 6], 0.9, 0)])]
    results = _evaluate(
        FewShotVOCMetric(iou_thrs=[0.5, 0.75], eval_mode='area', nproc=1),
        ['cat'], samples)
    assert results['pascal_voc/AP50'] == pytest.approx(1.0)
    assert results['pascal_voc/AP75'] == 0.0
    assert results['pascal_voc/mAP'] == pytest.approx(0.5)


def test_voc_split_errors_name_the_fault():
    with pytest.raises(KeyError, match='NOVEL_CLASSES_SPLIT9'):
        FewShotVOCMetric(class_splits=['NOVEL_CLASSES_SPLIT9'])
    with pytest.raises(TypeError, match="\\['BASE_CLASSES_SPLIT1'\\]"):
        FewShotVOCMetric(class_splits='BASE_CLASSES_SPLIT1')
    metric = FewShotVOCMetric(class_splits=VOC_SPLITS, nproc=1)
    with pytest.raises(KeyError, match="'bird'.*NOVEL_CLASSES_SPLIT1"):
        # a base-training test set knows only the 15 base classes; the
        # loops set dataset_meta when they are built, before evaluating
        metric.dataset_meta = dict(classes=BASE_CLASSES_SPLIT1)


# ---------------------------------------------------------------- COCO

COCO_USED = ['person', 'car', 'bird', 'elephant', 'kite', 'cow']


def _coco_data(seed=0):
    """Random ground truth on 6 images and noisy detections for it."""
    rng = np.random.default_rng(seed)
    images, annotations, detections = [], [], []
    for img_id in range(1, 7):
        images.append(dict(id=img_id, width=200, height=160, file_name=''))
        for _ in range(4):
            name = COCO_USED[rng.integers(len(COCO_USED))]
            size = rng.choice([12.0, 50.0, 110.0])  # small, medium, large
            x, y = rng.uniform(0, 200 - size), rng.uniform(0, 160 - size)
            w, h = size, size * rng.uniform(0.4, 1.0)
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=img_id,
                    category_id=COCO_CATEGORY_IDS[name],
                    bbox=[x, y, w, h],
                    area=w * h,
                    iscrowd=0))
            if rng.uniform() < 0.8:  # detected, with some box noise
                shift = rng.normal(0, 0.04 * size, 2)
                detections.append(
                    dict(
                        image_id=img_id,
                        category_id=COCO_CATEGORY_IDS[name],
                        bbox=[x + shift[0], y + shift[1], w, h],
                        score=float(rng.uniform(0.2, 1.0))))
        for _ in range(2):  # false positives
            name = COCO_USED[rng.integers(len(COCO_USED))]
            detections.append(
                dict(
                    image_id=img_id,
                    category_id=COCO_CATEGORY_IDS[name],
                    bbox=[rng.uniform(0, 150),
                          rng.uniform(0, 110), 30, 30],
                    score=float(rng.uniform(0.0, 0.9))))
    categories = [
        dict(id=COCO_CATEGORY_IDS[name], name=name) for name in ALL_CLASSES
    ]
    gt = dict(images=images, annotations=annotations, categories=categories)
    return gt, detections


def _coco_samples(gt, detections):
    """Data samples as a detector's test step returns them."""
    label_of = {
        COCO_CATEGORY_IDS[name]: i
        for i, name in enumerate(ALL_CLASSES)
    }
    samples = []
    for image in gt['images']:
        dets = [d for d in detections if d['image_id'] == image['id']]
        instances = [
            dict(
                bbox=[
                    a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                    a['bbox'][1] + a['bbox'][3]
                ],
                bbox_label=label_of[a['category_id']],
                ignore_flag=0) for a in gt['annotations']
            if a['image_id'] == image['id']
        ]
        samples.append(
            dict(
                img_id=image['id'],
                ori_shape=(image['height'], image['width']),
                instances=instances,
                pred_instances=dict(
                    bboxes=_tensor([[
                        d['bbox'][0], d['bbox'][1], d['bbox'][0] +
                        d['bbox'][2], d['bbox'][1] + d['bbox'][3]
                    ] for d in dets], 4),
                    scores=torch.tensor([d['score'] for d in dets]),
                    labels=torch.tensor(
                        [label_of[d['category_id']] for d in dets],
                        dtype=torch.long))))
    return samples


def _pycocotools_stats(ann_file, detections, cat_ids):
    coco = COCO(str(ann_file))
    coco_eval = COCOeval(coco, coco.loadRes(copy.deepcopy(detections)), 'bbox')
    coco_eval.params.maxDets = [100, 300, 1000]
    coco_eval.params.catIds = cat_ids
    coco_eval.evaluate()
    coco_eval.accumulate()
    coco_eval.summarize()
    return coco_eval.stats


def test_coco_matches_pycocotools(tmp_path):
    gt, detections = _coco_data()
    ann_file = tmp_path / 'instances.json'
    ann_file.write_text(json.dumps(gt))
    metric = FewShotCocoMetric(
        ann_file=str(ann_file),
        class_splits=['BASE_CLASSES', 'NOVEL_CLASSES'],
        metric_items=[
            'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100'
        ])
    results = _evaluate(metric, ALL_CLASSES, _coco_samples(gt, detections))
    items = ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']
    expected_all = _pycocotools_stats(ann_file, detections,
                                      sorted(COCO_CATEGORY_IDS.values()))
    expected_novel = _pycocotools_stats(
        ann_file, detections, [COCO_CATEGORY_IDS[c] for c in NOVEL_CLASSES])
    expected_base = _pycocotools_stats(
        ann_file, detections, [COCO_CATEGORY_IDS[c] for c in BASE_CLASSES])
    # the random case is not degenerate
    assert 0.2 < expected_all[0] < 0.95
    assert expected_novel[0] != pytest.approx(expected_base[0], abs=1e-3)
    for index, item in enumerate(items):
        assert results[f'coco/bbox_{item}'] == pytest.approx(
            expected_all[index], abs=1e-6)
        assert results[f'coco/NOVEL_CLASSES_bbox_{item}'] == pytest.approx(
            expected_novel[index], abs=1e-6)
        assert results[f'coco/BASE_CLASSES_bbox_{item}'] == pytest.approx(
            expected_base[index], abs=1e-6)
    assert results['coco/NOVEL_CLASSES_bbox_AR@100'] == pytest.approx(
        expected_novel[6], abs=1e-6)


def test_coco_perfect_and_base_only_predictions():
    gt, _ = _coco_data(seed=1)
    perfect = [
        dict(
            image_id=a['image_id'],
            category_id=a['category_id'],
            bbox=a['bbox'],
            score=0.9) for a in gt['annotations']
    ]
    # no ann_file: the metric converts the ground truth of the samples
    metric = METRICS.build(
        dict(
            type='FewShotCocoMetric',
            class_splits=['BASE_CLASSES', 'NOVEL_CLASSES'],
            classwise=True))
    results = _evaluate(metric, ALL_CLASSES, _coco_samples(gt, perfect))
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50',
                'coco/BASE_CLASSES_bbox_mAP', 'coco/NOVEL_CLASSES_bbox_mAP'):
        assert results[key] == pytest.approx(1.0)
    assert results['coco/person_precision'] == pytest.approx(1.0)
    novel_ids = {COCO_CATEGORY_IDS[c] for c in NOVEL_CLASSES}
    base_only = [d for d in perfect if d['category_id'] not in novel_ids]
    metric = FewShotCocoMetric(class_splits=['BASE_CLASSES', 'NOVEL_CLASSES'])
    results = _evaluate(metric, ALL_CLASSES, _coco_samples(gt, base_only))
    assert results['coco/BASE_CLASSES_bbox_mAP'] == pytest.approx(1.0)
    assert results['coco/NOVEL_CLASSES_bbox_mAP'] == 0.0
    assert results['coco/NOVEL_CLASSES_bbox_mAP_50'] == 0.0
    assert 0.0 < results['coco/bbox_mAP'] < 1.0


def test_coco_config_errors():
    with pytest.raises(ValueError, match="'proposal'"):
        FewShotCocoMetric(metric='proposal')
    with pytest.raises(KeyError, match="'mAP_99'"):
        FewShotCocoMetric(metric_items=['mAP_99'])
    with pytest.raises(KeyError, match='NOVEL_CLASSES_SPLIT7'):
        FewShotCocoMetric(class_splits=['NOVEL_CLASSES_SPLIT7'])


# ---------------------------------------------------------------------------
# class identity: numbers follow class names, whatever the orders and ids
# ---------------------------------------------------------------------------
IDENTITY_CLASSES = ('cat', 'dog', 'traffic light')
IDENTITY_SPLITS = dict(BASE=['cat', 'dog'], NOVEL=['traffic light'])
# image id -> boxes (class, [x, y, w, h]); cats and dogs are found, no
# traffic light is
IDENTITY_BOXES = {
    1: [('cat', [10, 10, 60, 50]), ('dog', [100, 20, 70, 60])],
    2: [('traffic light', [30, 30, 20, 50])],
    3: [('cat', [5, 60, 40, 40]), ('traffic light', [120, 10, 25, 60]),
        ('dog', [60, 90, 80, 50])],
}
EXPECTED_CLASS_AP = {'cat': 1.0, 'dog': 1.0, 'traffic light': 0.0}


def _identity_samples(classes):
    samples = []
    for img_id, boxes in IDENTITY_BOXES.items():
        xyxy = [[x, y, x + w, y + h] for _, (x, y, w, h) in boxes]
        found = [(box, classes.index(name))
                 for box, (name, _) in zip(xyxy, boxes)
                 if name != 'traffic light']
        samples.append(
            dict(
                img_id=img_id,
                ori_shape=(200, 240),
                instances=[
                    dict(
                        bbox=box,
                        bbox_label=classes.index(name),
                        ignore_flag=0) for box, (name, _) in zip(xyxy, boxes)
                ],
                gt_instances=dict(
                    bboxes=_tensor(xyxy, 4),
                    labels=torch.tensor(
                        [classes.index(name) for name, _ in boxes])),
                ignored_instances=dict(
                    bboxes=torch.zeros((0, 4)), labels=torch.zeros(0).long()),
                pred_instances=dict(
                    bboxes=_tensor([box for box, _ in found], 4),
                    scores=torch.full((len(found), ), 0.9),
                    labels=torch.tensor([label for _, label in found]))))
    return samples


def _identity_coco_file(tmp_path, category_ids):
    annotations = [
        dict(
            id=index,
            image_id=img_id,
            category_id=category_ids[name],
            bbox=box,
            area=box[2] * box[3],
            iscrowd=0) for index, (img_id, name, box) in enumerate((
                (img_id, name, box)
                for img_id, boxes in IDENTITY_BOXES.items()
                for name, box in boxes), 1)
    ]
    ann_file = tmp_path / 'instances.json'
    ann_file.write_text(
        json.dumps(
            dict(
                images=[
                    dict(id=img_id, width=240, height=200, file_name='')
                    for img_id in IDENTITY_BOXES
                ],
                annotations=annotations,
                # listed in neither id nor class order
                categories=[
                    dict(id=category_ids[name], name=name)
                    for name in ('dog', 'traffic light', 'cat')
                ])))
    return str(ann_file)


CLASS_ORDERS = [
    ('cat', 'dog', 'traffic light'),
    ('traffic light', 'cat', 'dog'),
    ('dog', 'traffic light', 'cat'),
]
CATEGORY_IDS = [
    {
        'cat': 5,
        'dog': 9,
        'traffic light': 2
    },  # the file
    {
        'cat': 1,
        'dog': 2,
        'traffic light': 3
    },
    {
        'cat': 30,
        'dog': 10,
        'traffic light': 20
    },
]


@pytest.mark.parametrize('classes', CLASS_ORDERS)
@pytest.mark.parametrize('category_ids', CATEGORY_IDS + [None])
def test_coco_numbers_follow_class_names(tmp_path, classes, category_ids):
    ann_file = None if category_ids is None else _identity_coco_file(
        tmp_path, category_ids)
    metric = FewShotCocoMetric(
        ann_file=ann_file, class_splits=IDENTITY_SPLITS, classwise=True)
    results = _evaluate(metric, classes, _identity_samples(list(classes)))
    for name, expected in EXPECTED_CLASS_AP.items():
        assert results[f'coco/{name}_precision'] == pytest.approx(expected)
    assert results['coco/BASE_bbox_mAP'] == pytest.approx(1.0)
    assert results['coco/NOVEL_bbox_mAP'] == pytest.approx(0.0)
    assert results['coco/bbox_mAP'] == pytest.approx(2 / 3)


@pytest.mark.parametrize('classes', CLASS_ORDERS)
def test_voc_numbers_follow_class_names(classes):
    metric = FewShotVOCMetric(class_splits=IDENTITY_SPLITS, nproc=1)
    results = _evaluate(metric, classes, _identity_samples(list(classes)))
    assert results['pascal_voc/BASE_mAP'] == pytest.approx(1.0)
    assert results['pascal_voc/NOVEL_mAP'] == pytest.approx(0.0)
    assert results['pascal_voc/mAP'] == pytest.approx(2 / 3)
