"""Golden outputs of the original toolbox's data path (MMFewShot 0.1.0).

Runs the original's support and crop transforms (``CropResizeInstance``,
``CropInstance``, ``Normalize`` + ``GenerateMask``, MPSR's ``CropInstance``
+ ``ResizeToMultiScale`` + ``MultiImageRandomCrop`` +
``MultiImageRandomFlip``), its samplers (``QueryAwareDataset``, the
support instances of ``NWayKShotDataset``, ``TwoBranchDataset``'s
reweighting) and its VOC / COCO few-shot evaluation
(``FewShotVOCDataset.evaluate``, ``FewShotCocoDataset.evaluate`` with BASE
/ NOVEL splits) on small inputs this script generates from fixed seeds,
and saves inputs and outputs as fixtures that
``tests/test_detection/test_det_reference_data.py`` compares ours with.
Nothing of this repository is imported: it runs in the original's
environment only.

Regenerate (the reference environment is built by
``tools/reference/build_reference_env.sh``, see tools/reference/README.md)::

    ~/.cache/mmfewshot/reference-env/bin/python \\
        tools/reference/generate_golden_data.py --out tests/data/reference/data

Files written to ``--out``:

- ``transforms.npz``: input images and, per case, the original's output
  image and box (``crop_resize/``, ``crop_instance/``, ``generate_mask/``,
  ``mpsr/`` keys), with ``cases.json`` describing every case;
- ``mpsr_full_scales.json``: shapes, boxes and SHA-256 digests of the MPSR
  auxiliary pipeline at the released scales (32 to 800 pixels), too large
  to store as arrays;
- ``query_aware_sampling.json``: frequencies of the original
  QueryAwareDataset's draws over many items of a toy dataset, the support
  instances its NWayKShotDataset keeps and the index maps of its
  TwoBranchDataset reweighting;
- ``voc_metric.json`` / ``coco_metric.json``: ground truth, detections and
  the original's metric values (those it returns, rounded as it rounds
  them, and the unrounded ones it computes).
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import tempfile
from collections import Counter, defaultdict
from typing import Dict, List

import numpy as np

# the original's Attention-RPN and Meta R-CNN / FSDetView support
# normalisation (configs/detection/_base_/datasets/*/base_voc.py at v0.1.0)
SUPPORT_NORM = dict(
    mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], to_rgb=False)
# boxes (x1, y1, x2, y2) in the 64 x 48 image 'scene'
SCENE_BOXES = [
    [20, 16, 44, 30],  # wide, inside
    [28, 6, 36, 40],  # tall, inside
    [2.5, 3.7, 14.2, 11.9],  # top-left corner, fractional
    [50, 36, 63.5, 47],  # bottom-right corner
    [0, 0, 64, 48],  # the whole image
    [30, 20, 31, 33],  # one pixel wide
    [5, 20, 60, 27],  # wider than the image allows context for
    [10, 1, 17, 46],  # full height
    [41, 10, 50, 31],  # odd size: the original's rounding shows
]
# boxes in the 40 x 64 image 'portrait'
PORTRAIT_BOXES = [
    [4, 10, 36, 20],
    [15, 0, 25, 64],
    [0.4, 50.6, 9.9, 63.2],
]
MPSR_SMALL_SCALES = (16, 24, 40)
MPSR_SCALES = (32, 64, 128, 256, 512, 800)
MPSR_SEEDS = (0, 1, 2)


def make_images(rng: np.random.RandomState) -> Dict[str, np.ndarray]:
    """Two uint8 BGR images: gradients plus noise (every pixel differs)."""
    images = {}
    for name, (height, width) in (('scene', (48, 64)), ('portrait', (64, 40))):
        rows, cols = np.mgrid[0:height, 0:width]
        base = np.stack([rows * 4, cols * 3, (rows + cols) * 2],
                        axis=2).astype(float)
        noise = rng.randint(0, 60, size=(height, width, 3))
        images[name] = ((base + noise) % 256).astype(np.uint8)
    return images


def _results(img: np.ndarray, box: List[float], label: int = 3) -> dict:
    """An mmdet 2.x result dict after LoadImageFromFile + LoadAnnotations."""
    return dict(
        img=img.copy(),
        img_shape=img.shape,
        ori_shape=img.shape,
        img_fields=['img'],
        gt_bboxes=np.array([box], dtype=np.float32),
        gt_labels=np.array([label], dtype=np.int64),
        bbox_fields=['gt_bboxes'])


def _cases():
    for image, boxes in (('scene', SCENE_BOXES), ('portrait', PORTRAIT_BOXES)):
        for index, box in enumerate(boxes):
            yield f'{image}_{index}', image, box


def transforms(images: Dict[str, np.ndarray], arrays: dict,
               cases: dict) -> None:
    """Outputs of the original's support and crop transforms."""
    from mmdet.datasets.pipelines import Normalize
    from mmfewshot.detection.datasets.pipelines.transforms import (
        CropInstance, CropResizeInstance, GenerateMask, MultiImageRandomCrop,
        MultiImageRandomFlip, ResizeToMultiScale)

    for name, img in images.items():
        arrays[f'input/{name}'] = img
    settings = dict(
        crop_resize=[
            dict(num_context_pixels=16, target_size=(64, 64)),
            dict(num_context_pixels=4, target_size=(40, 40)),
        ],
        crop_instance=[dict(context_ratio=1 / 7.),
                       dict(context_ratio=0.5)],
        generate_mask=[dict(target_size=(40, 40)),
                       dict(target_size=(24, 24))])
    builders = dict(
        crop_resize=lambda kw: [CropResizeInstance(**kw)],
        crop_instance=lambda kw: [CropInstance(**kw)],
        generate_mask=lambda kw:
        [Normalize(**SUPPORT_NORM),
         GenerateMask(**kw)])
    for kind, kwargs_list in settings.items():
        cases[kind] = []
        for setting, kwargs in enumerate(kwargs_list):
            steps = builders[kind](kwargs)
            for case, image, box in _cases():
                results = _results(images[image], box)
                for step in steps:
                    results = step(results)
                key = f'{kind}/{setting}/{case}'
                arrays[f'{key}/img'] = results['img']
                arrays[f'{key}/box'] = results['gt_bboxes']
                cases[kind].append(
                    dict(
                        key=key,
                        image=image,
                        box=box,
                        kwargs={
                            k: list(v) if isinstance(v, tuple) else v
                            for k, v in kwargs.items()
                        },
                        img_shape=list(results['img_shape'])))
    # the released Attention-RPN size on two boxes
    cases['crop_resize_320'] = []
    for case, image, box in list(_cases())[:2]:
        results = CropResizeInstance(16, (320, 320))(
            _results(images[image], box))
        key = f'crop_resize_320/{case}'
        arrays[f'{key}/img'] = results['img']
        arrays[f'{key}/box'] = results['gt_bboxes']
        cases['crop_resize_320'].append(dict(key=key, image=image, box=box))

    def mpsr(scales, img, box, seed):
        pipeline = [
            CropInstance(context_ratio=1 / 7.),
            ResizeToMultiScale(multi_scales=[(s * 8 / 7., s * 8 / 7.)
                                             for s in scales]),
            MultiImageRandomCrop(multi_crop_sizes=[(s, s) for s in scales]),
            MultiImageRandomFlip(flip_ratio=0.5),
        ]
        np.random.seed(seed)
        results = _results(img, box)
        for step in pipeline:
            results = step(results)
        return results

    cases['mpsr'] = []
    for seed in MPSR_SEEDS:
        for case, image, box in _cases():
            outputs = mpsr(MPSR_SMALL_SCALES, images[image], box, seed)
            key = f'mpsr/{seed}/{case}'
            for scale, results in zip(MPSR_SMALL_SCALES, outputs):
                arrays[f'{key}/{scale}/img'] = results['img']
                arrays[f'{key}/{scale}/box'] = results['gt_bboxes']
            cases['mpsr'].append(
                dict(
                    key=key,
                    image=image,
                    box=box,
                    seed=seed,
                    scales=list(MPSR_SMALL_SCALES),
                    flip=[bool(r['flip']) for r in outputs]))
    full = []
    for seed in MPSR_SEEDS:
        for case, image, box in list(_cases())[:3]:
            outputs = mpsr(MPSR_SCALES, images[image], box, seed)
            full.append(
                dict(
                    image=image,
                    box=box,
                    seed=seed,
                    scales=list(MPSR_SCALES),
                    outputs=[
                        dict(
                            shape=list(r['img'].shape),
                            box=r['gt_bboxes'].tolist(),
                            flip=bool(r['flip']),
                            sha256=hashlib.sha256(
                                np.ascontiguousarray(
                                    r['img']).tobytes()).hexdigest())
                        for r in outputs
                    ]))
    cases['mpsr_full_scales'] = full


# ------------------------------------------------------ QueryAwareDataset
# image -> labels of its instances (5 classes)
SAMPLING_IMAGES = [
    [0, 1],
    [1, 1, 2],
    [2],
    [0, 3],
    [3, 3, 3],
    [0, 1, 2, 3],
    [1],
    [4, 4],
    [2, 3, 0, 0],
]
SAMPLING_WAYS = 3
SAMPLING_SHOTS = 3
SAMPLING_DRAWS = 1000


class _ToyDataset:
    """What QueryAwareDataset reads of a dataset: labels per image; the
    pipelines return the (image, annotation) indices they were given."""

    CLASSES = ('a', 'b', 'c', 'd', 'e')

    def __init__(self, images: List[List[int]]) -> None:
        self.images = images
        self.flag = np.zeros(len(images), dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.images)

    def get_ann_info(self, idx: int) -> dict:
        return dict(labels=np.array(self.images[idx], dtype=np.int64))

    def get_cat_ids(self, idx: int) -> List[int]:
        return list(self.images[idx])

    def prepare_train_img(self, idx: int, pipeline_key: str,
                          gt_idx: List[int]) -> dict:
        return dict(idx=idx, gt_idx=list(gt_idx))


def query_aware_sampling() -> dict:
    """Frequencies of the original QueryAwareDataset's draws."""
    import warnings

    from mmfewshot.detection.datasets.dataset_wrappers import \
        QueryAwareDataset

    np.random.seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        dataset = QueryAwareDataset(
            _ToyDataset(SAMPLING_IMAGES),
            None,
            num_support_ways=SAMPLING_WAYS,
            num_support_shots=SAMPLING_SHOTS,
            repeat_times=SAMPLING_DRAWS)
    counts = defaultdict(Counter)
    for idx in range(len(dataset)):
        item = dataset[idx]
        query = item['query_data']
        position = idx % len(SAMPLING_IMAGES)
        image = query['idx']
        query_class = int(query['query_class'][0])
        support = [(s['idx'], s['gt_idx'][0]) for s in item['support_data']]
        ways = [SAMPLING_IMAGES[i][g] for i, g in support[::SAMPLING_SHOTS]]
        counts[f'image_at/{position}'][f'{image}'] += 1
        counts[f'query_class/{image}'][f'{query_class}'] += 1
        counts[f'query_instances/{image}'][json.dumps(query['gt_idx'])] += 1
        counts[f'negatives/{image}'][json.dumps(
            sorted(int(w) for w in ways[1:]))] += 1
        for way, label in enumerate(ways):
            shots = sorted(support[way * SAMPLING_SHOTS:(way + 1) *
                                   SAMPLING_SHOTS])
            role = 'positive' if way == 0 else 'negative'
            counts[f'{role}_shots/{image}/{label}'][json.dumps(shots)] += 1
    return dict(
        images=SAMPLING_IMAGES,
        classes=list(_ToyDataset.CLASSES),
        num_support_ways=SAMPLING_WAYS,
        num_support_shots=SAMPLING_SHOTS,
        repeat_times=SAMPLING_DRAWS,
        counts={
            k: dict(v)
            for k, v in sorted(counts.items())
        })


# (one_support_shot_per_image, num_used_support_shots, num_support_shots)
NWAY_SETTINGS = [(False, 200, 1), (True, 200, 1), (False, 2, 1), (True, 1, 1),
                 (True, 2, 3), (False, 1, 4)]


def nway_kshot_support_instances() -> dict:
    """The support instances the original NWayKShotDataset keeps (per class,
    (image, annotation) in order, short classes already repeated)."""
    from mmfewshot.detection.datasets.dataset_wrappers import \
        NWayKShotDataset
    settings = []
    for one_per_image, num_used, num_shots in NWAY_SETTINGS:
        toy = _ToyDataset(SAMPLING_IMAGES)
        dataset = NWayKShotDataset(
            toy,
            toy,
            num_support_ways=2,
            num_support_shots=num_shots,
            one_support_shot_per_image=one_per_image,
            num_used_support_shots=num_used)
        settings.append(
            dict(
                one_support_shot_per_image=one_per_image,
                num_used_support_shots=num_used,
                num_support_shots=num_shots,
                instances={
                    str(label): [[int(i), int(g)] for i, g in refs]
                    for label, refs in dataset.data_infos_by_class.items()
                }))
    return dict(images=SAMPLING_IMAGES, settings=settings)


class _FileList:
    """What TwoBranchDataset.reweight_dataset reads of a dataset."""

    def __init__(self, filenames: List[str]) -> None:
        self.data_infos = [dict(filename=name) for name in filenames]

    def __len__(self) -> int:
        return len(self.data_infos)


def two_branch_reweighting() -> dict:
    """Index maps of the original TwoBranchDataset.reweight_dataset."""
    from mmfewshot.detection.datasets.dataset_wrappers import \
        TwoBranchDataset
    cases = []
    for num_2007, num_2012 in ((10, 60), (3, 7), (60, 5), (49, 50)):
        filenames = [
            f'VOC2007/JPEGImages/{i:06d}.jpg' for i in range(num_2007)
        ] + [f'VOC2012/JPEGImages/2012_{i:06d}.jpg' for i in range(num_2012)]
        cases.append(
            dict(
                filenames=filenames,
                main=TwoBranchDataset.reweight_dataset(
                    _FileList(filenames), ['VOC2007', 'VOC2012']),
                auxiliary=TwoBranchDataset.reweight_dataset(
                    _FileList(filenames), ['VOC'])))
    return dict(cases=cases)


# ------------------------------------------------------------------ metrics
def _jitter(rng, box, scale):
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    delta = rng.uniform(-scale, scale, 4) * [w, h, w, h]
    return [x1 + delta[0], y1 + delta[1], x2 + delta[2], y2 + delta[3]]


def _detections(rng, gts, num_classes, width, height):
    """Detections per class: jittered ground truth (some missed, some
    duplicated, some with the wrong class) plus random false positives."""
    dets = [[] for _ in range(num_classes)]
    for box, label in gts:
        if rng.rand() < 0.15:
            continue
        scale = rng.choice([0.05, 0.15, 0.4])
        cls = label if rng.rand() < 0.85 else rng.randint(num_classes)
        dets[cls].append(_jitter(rng, box, scale) + [rng.uniform(0.3, 1)])
        if rng.rand() < 0.2:
            dets[cls].append(_jitter(rng, box, 0.1) + [rng.uniform(0, 0.6)])
    for _ in range(rng.randint(0, 4)):
        cls = rng.randint(num_classes)
        x1, y1 = rng.uniform(0, width - 20), rng.uniform(0, height - 20)
        w, h = rng.uniform(8, 60), rng.uniform(8, 60)
        dets[cls].append([
            x1, y1,
            min(width, x1 + w),
            min(height, y1 + h),
            rng.uniform(0, 0.8)
        ])
    return [
        np.array(d, dtype=np.float32).reshape(-1, 5).round(2) for d in dets
    ]


def voc_metric(tmp_dir: str) -> dict:
    """The original FewShotVOCDataset.evaluate on generated VOC data."""
    import mmfewshot.detection.datasets.voc as voc
    from mmfewshot.detection.datasets.voc import (VOC_SPLIT, FewShotVOCDataset)

    classes = list(VOC_SPLIT['ALL_CLASSES_SPLIT1'])
    rng = np.random.RandomState(7)
    scenarios = {}
    # 'all_classes': every class has ground truth; 'missing_class': the
    # novel class 'cow' has none (it only gets false positives)
    for scenario, missing in (('all_classes', ()), ('missing_class',
                                                    ('cow', ))):
        root = osp.join(tmp_dir, scenario, 'VOC2007')
        os.makedirs(osp.join(root, 'Annotations'))
        os.makedirs(osp.join(root, 'ImageSets', 'Main'))
        names, images = [], []
        allowed = [c for c in classes if c not in missing]
        for index in range(24):
            name = f'{index:06d}'
            width, height = 200, 150
            objects = []
            # every allowed class at least once
            labels = [allowed[index % len(allowed)]] + [
                allowed[rng.randint(len(allowed))]
                for _ in range(rng.randint(0, 3))
            ]
            for cls in labels:
                x1, y1 = rng.randint(1, 150), rng.randint(1, 100)
                x2 = min(width, x1 + rng.randint(10, 60))
                y2 = min(height, y1 + rng.randint(10, 60))
                difficult = int(rng.rand() < 0.1)
                objects.append((cls, [x1, y1, x2, y2], difficult))
            xml = ''.join(
                f'<object><name>{c}</name><difficult>{d}</difficult>'
                f'<bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>'
                f'<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>'
                for c, b, d in objects)
            with open(osp.join(root, 'Annotations', f'{name}.xml'), 'w') as f:
                f.write(f'<annotation><filename>{name}.jpg</filename><size>'
                        f'<width>{width}</width><height>{height}</height>'
                        f'</size>{xml}</annotation>')
            names.append(name)
            images.append(objects)
        with open(osp.join(root, 'ImageSets', 'Main', 'test.txt'), 'w') as f:
            f.write('\n'.join(names) + '\n')
        dataset = FewShotVOCDataset(
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file=osp.join(root, 'ImageSets', 'Main', 'test.txt'))
            ],
            img_prefix=osp.join(tmp_dir, scenario),
            pipeline=[],
            classes='ALL_CLASSES_SPLIT1',
            test_mode=True)
        annotations = [dataset.get_ann_info(i) for i in range(len(dataset))]
        detections = []
        for ann, objects in zip(annotations, images):
            gts = [(b, classes.index(c)) for c, b, _ in objects]
            detections.append(_detections(rng, gts, len(classes), 200, 150))
        # predictions as the model gives them: evaluate() takes the
        # coordinate offset of training boxes off them (in place), so the
        # fixture keeps the arrays eval_map was given
        offset = np.array(dataset.coordinate_offset, dtype=np.float32)
        raw = [[d.copy() for d in dets] for dets in detections]
        for dets in raw:
            for d in dets:
                d[:, :4] += offset
        evaluated = None
        outputs = {}
        for iou_thr in (0.5, [0.5, 0.75]):
            captured_eval, captured_log = [], []
            real_eval_map, real_print_log = voc.eval_map, voc.print_log

            def eval_map(*args, **kwargs):
                mean_ap, class_results = real_eval_map(*args, **kwargs)
                captured_eval.append(
                    dict(
                        mean_ap=float(mean_ap),
                        ap=[float(r['ap']) for r in class_results],
                        num_gts=[int(r['num_gts']) for r in class_results]))
                return mean_ap, class_results

            def print_log(msg, logger=None, **kwargs):
                captured_log.append(str(msg))

            voc.eval_map, voc.print_log = eval_map, print_log
            given = [[d.copy() for d in dets] for dets in raw]
            try:
                results = dataset.evaluate(
                    given,
                    metric='mAP',
                    iou_thr=iou_thr,
                    class_splits=[
                        'BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'
                    ])
            finally:
                voc.eval_map, voc.print_log = real_eval_map, real_print_log
            evaluated = given
            split_map = {}
            for msg in captured_log:
                for split in ('BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'):
                    if msg.startswith(f'{split} mAP: '):
                        split_map[split] = float(msg.split(': ')[1])
            key = 'iou_0.5' if iou_thr == 0.5 else 'iou_0.5_0.75'
            outputs[key] = dict(
                iou_thrs=[iou_thr] if iou_thr == 0.5 else iou_thr,
                returned={
                    k: float(v)
                    for k, v in results.items()
                },
                per_threshold=captured_eval,
                split_mAP=split_map)
        scenarios[scenario] = dict(
            annotations=[{
                k: v.tolist()
                for k, v in ann.items()
            } for ann in annotations],
            detections=[[d.tolist() for d in dets] for dets in evaluated],
            outputs=outputs)
    return dict(
        classes=classes,
        class_splits=dict(
            BASE_CLASSES_SPLIT1=list(VOC_SPLIT['BASE_CLASSES_SPLIT1']),
            NOVEL_CLASSES_SPLIT1=list(VOC_SPLIT['NOVEL_CLASSES_SPLIT1'])),
        eval_mode='11points (dataset=voc07)',
        use_legacy_coordinate=True,
        scenarios=scenarios)


# COCO 2017 category ids: 1..90 without these
_COCO_ID_GAPS = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}


def coco_metric(tmp_dir: str) -> dict:
    """The original FewShotCocoDataset.evaluate on generated COCO data."""
    import mmfewshot.detection.datasets.coco as coco
    from mmfewshot.detection.datasets.coco import (COCO_SPLIT,
                                                   FewShotCocoDataset)

    classes = list(COCO_SPLIT['ALL_CLASSES'])
    category_ids = [i for i in range(1, 91) if i not in _COCO_ID_GAPS]
    assert len(category_ids) == 80
    rng = np.random.RandomState(11)
    # a few base and novel classes hold all objects
    used = [
        'person', 'car', 'dog', 'bus', 'truck', 'bench', 'kite', 'cup',
        'pizza', 'laptop', 'clock', 'zebra'
    ]
    images, annotations, gts_per_image = [], [], []
    width, height = 320, 240
    for image_id in range(1, 21):
        images.append(
            dict(
                id=image_id * 3,
                file_name=f'{image_id:012d}.jpg',
                width=width,
                height=height))
        gts = []
        for obj in range(rng.randint(1, 6)):
            cls = used[(image_id + obj * 5) % len(used)]
            w, h = rng.uniform(6, 150), rng.uniform(6, 150)
            x1, y1 = rng.uniform(0, width - w), rng.uniform(0, height - h)
            box = [x1, y1, x1 + w, y1 + h]
            crowd = int(image_id == 4 and obj == 0)
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id * 3,
                    category_id=category_ids[classes.index(cls)],
                    bbox=[
                        round(x1, 2),
                        round(y1, 2),
                        round(w, 2),
                        round(h, 2)
                    ],
                    area=round(w * h, 2),
                    iscrowd=crowd))
            if not crowd:
                gts.append((box, classes.index(cls)))
        gts_per_image.append(gts)
    ann = dict(
        images=images,
        annotations=annotations,
        categories=[
            dict(id=i, name=name) for i, name in zip(category_ids, classes)
        ])
    ann_file = osp.join(tmp_dir, 'instances_test.json')
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    # mmdet 2.28's CocoDataset reads `seg_suffix`, which its __init__ sets
    # and the original's FewShotCocoDataset (written for an older mmdet 2)
    # does not pass on: give it mmdet's default
    FewShotCocoDataset.seg_suffix = '.png'
    dataset = FewShotCocoDataset(
        ann_cfg=[dict(type='ann_file', ann_file=ann_file)],
        img_prefix='',
        pipeline=[],
        classes='ALL_CLASSES',
        test_mode=True)
    assert [info['id'] for info in dataset.data_infos] == \
        [image['id'] for image in images]
    detections = [
        _detections(rng, gts, len(classes), width, height)
        for gts in gts_per_image
    ]
    captured = []
    real_cocoeval = coco.COCOeval

    class RecordingCOCOeval(real_cocoeval):

        def summarize(self):
            super().summarize()
            captured.append(
                dict(
                    cat_ids=[int(i) for i in self.params.catIds],
                    stats=[float(s) for s in self.stats]))

    coco.COCOeval = RecordingCOCOeval
    try:
        results = dataset.evaluate(
            [[d.copy() for d in dets] for dets in detections],
            metric='bbox',
            class_splits=['BASE_CLASSES', 'NOVEL_CLASSES'])
    finally:
        coco.COCOeval = real_cocoeval
    names = ['BASE_CLASSES', 'NOVEL_CLASSES', 'ALL']
    stats = {name: entry['stats'] for name, entry in zip(names, captured)}
    return dict(
        classes=classes,
        annotation_file=ann,
        detections=[[d.tolist() for d in dets] for dets in detections],
        returned={
            k: (v if isinstance(v, str) else float(v))
            for k, v in results.items()
        },
        stats=stats,
        stats_items=[
            'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100',
            'AR@300', 'AR@1000', 'AR_s@1000', 'AR_m@1000', 'AR_l@1000'
        ],
        class_splits=dict(
            BASE_CLASSES=list(COCO_SPLIT['BASE_CLASSES']),
            NOVEL_CLASSES=list(COCO_SPLIT['NOVEL_CLASSES'])))


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Golden outputs of the original MMFewShot 0.1.0 data '
        'path (run in the reference environment)')
    parser.add_argument(
        '--out', required=True, help='fixture folder to (over)write')
    args = parser.parse_args()
    import mmfewshot
    assert mmfewshot.__version__ == '0.1.0', (
        f'this is mmfewshot {mmfewshot.__version__} from '
        f'{mmfewshot.__file__}: run in the reference environment')
    os.makedirs(args.out, exist_ok=True)
    arrays, cases = {}, {}
    transforms(make_images(np.random.RandomState(2022)), arrays, cases)
    with tempfile.TemporaryDirectory() as tmp_dir:
        voc = voc_metric(tmp_dir)
        coco = coco_metric(tmp_dir)
    sampling = query_aware_sampling()
    sampling['nway_kshot'] = nway_kshot_support_instances()
    sampling['two_branch'] = two_branch_reweighting()
    np.savez_compressed(osp.join(args.out, 'transforms.npz'), **arrays)
    full = cases.pop('mpsr_full_scales')
    for name, content in (('cases.json', cases), ('mpsr_full_scales.json',
                                                  full),
                          ('query_aware_sampling.json',
                           sampling), ('voc_metric.json',
                                       voc), ('coco_metric.json', coco)):
        with open(osp.join(args.out, name), 'w') as f:
            json.dump(content, f, indent=1, sort_keys=True)
    sizes = {
        name: os.path.getsize(osp.join(args.out, name))
        for name in sorted(os.listdir(args.out))
    }
    for name, size in sizes.items():
        print(f'{name}: {size / 1024:.1f} KiB')
    print(f'total: {sum(sizes.values()) / 1024:.1f} KiB')


if __name__ == '__main__':
    main()
