"""Time the detectors' training steps and test images next to plain Faster
R-CNN.

Builds, with ImageNet weights off, mmdet's own ``FasterRCNN`` (in mmdet's
scope) from TFA's base-training model as the reference, then the model of
every method in ``METHODS``: our ``TFA`` detector with the same
base-training model, the TFA fine-tuning model (cosine classifier,
everything but the last layers frozen, frozen parameters left out of the
optimizer), FSCE's contrastive fine-tuning model, MPSR's base training and
fine-tuning models, the query-support detectors (Meta R-CNN, FSDetView,
Attention-RPN), DeFRCN's base training and fine-tuning models, ... All
get the same synthetic batch (images of one size
with a few boxes each; the labels fit each model's classes; MPSR also gets
its batch of object crops at each of its 6 scales, the extra work of its
auxiliary branch; a query-support detector its support instances: an
N-way K-shot batch of images + masks, or N ways x K shots of crops per query
image, at the sizes of its support pipeline) and run whole training steps
(data preprocessor, forward, backward, SGD step at learning rate 0, so
that the random weights do not diverge) in interleaved rounds
(each round in another order); the median step time of each and its ratio
to Faster R-CNN with the same backbone (the C4 detectors next to a plain
C4 Faster R-CNN of their depth and RoI size) are printed, then test-time
images per second. A query-support detector is first initialised with one
support instance of each of ``--test-classes`` classes (all its classes
when it has fewer, as a base-training model); it detects them all in one
pass, and the last column times the same detections class by class (the
original toolbox's loop). DeFRCN's fine-tuning model is timed at test
time with its Prototypical Calibration Block (random classifier weights,
prototypes of one support box of each class in an image of the input size)
and without it; both keep every detection (score threshold 0, 100 per
image) and the block re-scores all of them, its most expensive case.
Ratios are only meaningful on an otherwise idle machine.

Example::

    python tools/analysis/benchmark_detection.py --size 512 --batch-size 2
    # one method's rows
    python tools/analysis/benchmark_detection.py --methods MPSR
"""
import argparse
import copy
import statistics
import time
from typing import Callable, Dict, List, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from terminaltables import AsciiTable

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.engine import run_model_init
from mmfewshot.detection.models import DeFRCN, QuerySupportDetector
from mmfewshot.detection.registry import MODELS

BASE_CONFIG = ('configs/detection/tfa/voc/split1/'
               'tfa_r101_fpn_voc-split1_base-training.py')
DEFRCN_FINE_TUNING = ('configs/detection/defrcn/voc/split1/'
                      'defrcn_r101_c4_gfsod_voc-split1_1shot-fine-tuning.py')
# (row name, config of the method's training step, changes to its model
# config or None); every method adds its rows here
METHODS = [
    ('TFA base training', BASE_CONFIG, dict(type='TFA')),
    ('TFA fine-tuning', 'configs/detection/tfa/voc/split1/'
     'tfa_r101_fpn_voc-split1_1shot-fine-tuning.py', None),
    ('FSCE fine-tuning, contrastive', 'configs/detection/fsce/voc/split1/'
     'fsce_r101_fpn_contrastive-loss_voc-split1_5shot-fine-tuning.py', None),
    ('MPSR base training', 'configs/detection/mpsr/voc/split1/'
     'mpsr_r101_fpn_2xb2_voc-split1_base-training.py', None),
    ('MPSR fine-tuning', 'configs/detection/mpsr/voc/split1/'
     'mpsr_r101_fpn_2xb2_voc-split1_1shot-fine-tuning.py', None),
    ('Meta R-CNN base training', 'configs/detection/meta_rcnn/voc/split1/'
     'meta-rcnn_r101_c4_8xb4_voc-split1_base-training.py', None),
    ('Meta R-CNN fine-tuning', 'configs/detection/meta_rcnn/voc/split1/'
     'meta-rcnn_r101_c4_8xb4_voc-split1_1shot-fine-tuning.py', None),
    ('FSDetView base training', 'configs/detection/fsdetview/voc/split1/'
     'fsdetview_r101_c4_8xb4_voc-split1_base-training.py', None),
    ('FSDetView fine-tuning', 'configs/detection/fsdetview/voc/split1/'
     'fsdetview_r101_c4_8xb4_voc-split1_1shot-fine-tuning.py', None),
    ('Attention-RPN base training', 'configs/detection/attention_rpn/voc/'
     'split1/attention-rpn_r50_c4_voc-split1_base-training.py', None),
    ('Attention-RPN fine-tuning', 'configs/detection/attention_rpn/voc/'
     'split1/attention-rpn_r50_c4_voc-split1_1shot-fine-tuning.py', None),
    ('DeFRCN base training', 'configs/detection/defrcn/voc/split1/'
     'defrcn_r101_c4_voc-split1_base-training.py', None),
    ('DeFRCN fine-tuning, calibrated', DEFRCN_FINE_TUNING,
     dict(calibration=dict(calibrated_classes='all', score_range=(0, 1)))),
    ('DeFRCN fine-tuning, no calibration', DEFRCN_FINE_TUNING,
     dict(calibration=None)),
]
REFERENCE = 'Faster R-CNN (mmdet)'
C4_MODEL = 'configs/detection/_base_/models/faster_rcnn_r50_caffe_c4.py'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--base-config',
        default=BASE_CONFIG,
        help='config whose model, built as mmdet\'s FasterRCNN, is the '
        'reference')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[512, 512],
        metavar=('H', 'W'),
        help='input size (the configs train at up to 1333x800)')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument(
        '--methods',
        nargs='+',
        default=None,
        metavar='NAME',
        help='time only the rows whose name contains one of these words '
        '(e.g. MPSR); the reference is always timed')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--test-images', type=int, default=5)
    parser.add_argument(
        '--test-classes',
        type=int,
        default=20,
        help='support classes a query-support detector detects at test time')
    parser.add_argument('--device', default=None)
    parser.add_argument(
        '--threads', type=int, default=None, help='torch CPU threads')
    args = parser.parse_args()
    for name in ('batch_size', 'rounds', 'test_images', 'test_classes',
                 'threads'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{value}')
    if args.warmup < 0:
        parser.error(f'--warmup must be >= 0, got {args.warmup}')
    if min(args.size) < 64:
        parser.error(f'--size must be at least 64 64 (the ResNet stem and '
                     f'RoI pooling), got {args.size[0]} {args.size[1]}')
    names = [name for name, _, _ in METHODS]
    for word in args.methods or ():
        if not any(word in name for name in names):
            parser.error(f'--methods: no row named like {word!r}; rows: '
                         f'{", ".join(names)}')
    return args


def synthetic_batch(num_images: int,
                    height: int,
                    width: int,
                    num_classes: int,
                    seed: int = 0) -> dict:
    """Images with three boxes each, as a dataloader yields them."""
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for index in range(num_images):
        inputs.append(
            torch.randint(
                0,
                256, (3, height, width),
                generator=generator,
                dtype=torch.uint8))
        corners = torch.rand(
            3, 2, generator=generator) * torch.tensor(
                [width * 0.6, height * 0.6])
        sizes = (torch.rand(3, 2, generator=generator) * 0.3 + 0.1) * \
            torch.tensor([width, height])
        sample = DetDataSample(
            metainfo=dict(
                img_id=index,
                img_shape=(height, width),
                ori_shape=(height, width),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([corners, corners + sizes], dim=1),
            labels=torch.randint(0, num_classes, (3, ), generator=generator))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def with_auxiliary_crops(batch: dict, cfg: Config, num_classes: int) -> dict:
    """``batch`` as the main batch of a two-branch config (MPSR), with a
    batch of object crops at every scale of its auxiliary pipeline (as many
    crops per scale as its auxiliary dataloader's batch size); other
    configs' batches unchanged."""
    loader = cfg.train_dataloader
    dataset = loader.dataset
    if dataset.get('type') != 'TwoBranchDataset':
        return batch
    pipeline = dataset.main_dataset.multi_pipelines.auxiliary
    crop = next(t for t in pipeline if t.type == 'MultiImageRandomCrop')
    num_crops = loader.get('auxiliary_dataloader', {}).get('batch_size', 1)
    auxiliary = []
    for index, (width, height) in enumerate(crop.crop_sizes):
        scale = synthetic_batch(num_crops, height, width, num_classes, index)
        for sample in scale['data_samples']:
            sample.gt_instances = sample.gt_instances[:1]
        auxiliary.append(scale)
    return dict(main_data=batch, auxiliary_data=auxiliary)


def support_instances(num: int, labels: List[int], size: Tuple[int, int],
                      channels: int) -> dict:
    """``num`` support images of ``channels`` channels (the fourth a box
    mask), one box each, labelled cyclically by ``labels``."""
    width, height = size
    batch = synthetic_batch(num, height, width, 1, seed=7)
    for index, sample in enumerate(batch['data_samples']):
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(
                [[width * 0.2, height * 0.2, width * 0.8, height * 0.8]]),
            labels=torch.tensor([labels[index % len(labels)]]))
    if channels == 4:
        batch['inputs'] = [
            torch.cat([image, torch.full_like(image[:1], 255)])
            for image in batch['inputs']
        ]
    return batch


def support_pipeline_size(cfg: Config) -> Tuple[Tuple[int, int], int]:
    """(width, height) and channels of the support inputs of a
    query-support config."""
    pipeline = cfg.test_cfg.model_init_dataloader.dataset.pipeline
    step = next(
        t for t in pipeline
        if t.type in ('GenerateMask', 'CropResizeInstance'))
    return tuple(step.target_size), 4 if step.type == 'GenerateMask' else 3


def with_support(batch: dict, cfg: Config, num_classes: int) -> dict:
    """``batch`` as the query batch of a query-support config with its
    support instances: an N-way K-shot batch (NWayKShotDataset) or N ways x
    K shots per query image, way 0 its class (QueryAwareDataset); other
    configs' batches unchanged."""
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') not in ('NWayKShotDataset', 'QueryAwareDataset'):
        return batch
    size, channels = support_pipeline_size(cfg)
    ways = min(dataset.num_support_ways, num_classes)
    shots = dataset.num_support_shots
    if dataset.type == 'NWayKShotDataset':
        labels = [way for way in range(ways) for _ in range(shots)]
    else:
        labels = []
        for sample in batch['data_samples']:
            query_label = int(sample.gt_instances.labels[0])
            sample.gt_instances.labels[:] = query_label
            others = [c for c in range(num_classes) if c != query_label]
            labels += [
                way for way in [query_label] + others[:ways - 1]
                for _ in range(shots)
            ]
    return dict(
        query_data=batch,
        support_data=support_instances(len(labels), labels, size, channels))


def reference_of(cfg: Config) -> Tuple[str, Config]:
    """The plain Faster R-CNN a method is compared with: the FPN base model,
    or a C4 one of the same depth and RoI size for C4 detectors (DeFRCN
    pools 7x7 RoIs, mmdet's C4 model 14x14)."""
    backbone = cfg.model.backbone
    if backbone.get('num_stages', 4) == 4:
        return REFERENCE, None
    plain = Config.fromfile(C4_MODEL).model
    plain.backbone.depth = backbone.depth
    name = f'Faster R-CNN R{backbone.depth}-C4 (mmdet)'
    roi_size = cfg.model.roi_head.bbox_roi_extractor.roi_layer.output_size
    if roi_size != plain.roi_head.bbox_roi_extractor.roi_layer.output_size:
        plain.roi_head.bbox_roi_extractor.roi_layer.output_size = roi_size
        plain.roi_head.bbox_head.roi_feat_size = \
            cfg.model.roi_head.bbox_head.roi_feat_size
        name = f'{name[:-8]}, RoIAlign {roi_size} (mmdet)'
    return name, plain


def build(model_cfg: dict, scope: str, device: torch.device):
    model_cfg = copy.deepcopy(model_cfg)
    for part in (model_cfg.get('backbone', {}),
                 model_cfg.get('roi_head', {}).get('shared_head') or {}):
        part.pop('init_cfg', None)
    if model_cfg.get('calibration'):
        # DeFRCN's ImageNet classifier: random weights
        model_cfg.calibration.checkpoint = None
    preprocessor = model_cfg.get('data_preprocessor') or {}
    if scope == 'mmdet' and preprocessor.get(
            'type') == 'FewShotDetDataPreprocessor':
        # the plain model takes mmdet's preprocessor (ours only adds a
        # test-time padding, which the timed batches do not use)
        preprocessor.type = 'DetDataPreprocessor'
        preprocessor.pop('test_pad_size_divisor', None)
    with DefaultScope.overwrite_default_scope(scope):
        if scope == 'mmdet':
            from mmdet.registry import MODELS as MMDET_MODELS
            model = MMDET_MODELS.build(model_cfg)
        else:
            model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(device)


def class_loop_times(model: QuerySupportDetector, batch: dict, repeats: int,
                     device: torch.device) -> List[float]:
    """Seconds per image when the cached classes are detected one at a
    time (one test step per class, as the original toolbox did)."""
    cache = model.support_cache

    def one_class_at_a_time():
        for label in sorted(cache):
            model.support_cache = {label: cache[label]}
            model.test_step(batch)

    try:
        return [timed(one_class_at_a_time, device) for _ in range(repeats)]
    finally:
        model.support_cache = cache


def calibrate_every_detection(model: DeFRCN, batch: dict,
                              num_classes: int) -> None:
    """Keep all detections of a DeFRCN model (score threshold 0), give the
    test batch its images as loaded and, with a calibration block,
    prototypes of every class (one support box each in an image of the
    batch's size)."""
    model.test_cfg.rcnn.score_thr = 0.0
    model.roi_head.test_cfg.score_thr = 0.0
    for image, sample in zip(batch['inputs'], batch['data_samples']):
        sample.set_metainfo(dict(ori_img=image.permute(1, 2, 0).numpy()))
    if model.calibration is None:
        return
    height, width = batch['inputs'][0].shape[-2:]
    run_model_init(model, [
        support_instances(num_classes, list(range(num_classes)),
                          (width, height), 3)
    ])


def timed(function: Callable, device: torch.device) -> float:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    function()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(
        args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    base_cfg = Config.fromfile(args.base_config)
    plain_cfg = copy.deepcopy(base_cfg.model)
    plain_cfg.type = 'FasterRCNN'
    optim_cfg = copy.deepcopy(base_cfg.optim_wrapper)
    optim_cfg.pop('constructor', None)
    models = {REFERENCE: build(plain_cfg, 'mmdet', device)}
    with DefaultScope.overwrite_default_scope('mmdet'):
        optim_wrappers = {
            REFERENCE: build_optim_wrapper(models[REFERENCE], optim_cfg)
        }
    configs = {}
    references = {REFERENCE: REFERENCE}
    for name, config, changes in METHODS:
        if args.methods and not any(word in name for word in args.methods):
            continue
        cfg = configs[name] = Config.fromfile(config)
        references[name], plain = reference_of(cfg)
        if references[name] not in models:
            models[references[name]] = build(plain, 'mmdet', device)
            with DefaultScope.overwrite_default_scope('mmdet'):
                optim_wrappers[references[name]] = build_optim_wrapper(
                    models[references[name]], optim_cfg)
            references[references[name]] = references[name]
        model_cfg = copy.deepcopy(cfg.model)
        for key, value in (changes or {}).items():
            if isinstance(value, dict) and isinstance(
                    model_cfg.get(key), dict):
                model_cfg[key].update(value)
            else:
                model_cfg[key] = value
        models[name] = build(model_cfg, 'mmfewshot_det', device)
        with DefaultScope.overwrite_default_scope('mmfewshot_det'):
            optim_wrappers[name] = build_optim_wrapper(models[name],
                                                       cfg.optim_wrapper)
    # the classes of the data: those of the box head (Attention-RPN's is
    # class-agnostic: --test-classes)
    num_classes = {
        name: (model.roi_head.bbox_head.num_classes
               if model.roi_head.bbox_head.num_classes > 1 else
               args.test_classes)
        for name, model in models.items()
    }
    height, width = args.size
    batches = {
        name: synthetic_batch(args.batch_size, height, width, classes)
        for name, classes in num_classes.items()
    }
    for name, cfg in configs.items():
        batches[name] = with_auxiliary_crops(batches[name], cfg,
                                             num_classes[name])
        batches[name] = with_support(batches[name], cfg, num_classes[name])
    # every step does the full work (forward, backward, optimizer step) at
    # learning rate 0, so the weights stay the random ones: at the configs'
    # learning rates random weights diverge within 3 steps (DeFRCN's base
    # model: loss 27 -> 1.7e4 -> 6.8e11 -> nan), after which a step costs a
    # tenth (no proposal survives) and the timings measure nothing
    for optim_wrapper in optim_wrappers.values():
        for group in optim_wrapper.optimizer.param_groups:
            group['lr'] = 0.0
    step_times: Dict[str, List[float]] = {name: [] for name in models}
    names = list(models)
    for round_index in range(args.warmup + args.rounds):
        # a different model goes first in every round
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            model = models[name]
            model.train()
            seconds = timed(
                lambda: model.train_step(batches[name], optim_wrappers[name]),
                device)
            if round_index >= args.warmup:
                step_times[name].append(seconds)
    test_times: Dict[str, List[float]] = {name: [] for name in models}
    loop_times: Dict[str, List[float]] = {}
    for name, model in models.items():
        model.eval()
        single = synthetic_batch(1, height, width, num_classes[name])
        with torch.no_grad():
            if isinstance(model, DeFRCN):
                calibrate_every_detection(model, single, num_classes[name])
            if isinstance(model, QuerySupportDetector):
                # --test-classes, or all the classes of a smaller model
                classes = min(args.test_classes, num_classes[name])
                size, channels = support_pipeline_size(configs[name])
                run_model_init(model, [
                    support_instances(classes, list(range(classes)), size,
                                      channels)
                ])
                loop_times[name] = class_loop_times(model, single,
                                                    args.test_images, device)
            model.test_step(single)
            for _ in range(args.test_images):
                test_times[name].append(
                    timed(lambda: model.test_step(single), device))
    rows = [[
        'model', 'train step (s)', 'vs Faster R-CNN', 'trained tensors',
        'test images/s', 'class by class'
    ]]
    for name, model in models.items():
        step = statistics.median(step_times[name])
        reference = statistics.median(step_times[references[name]])
        trained = sum(p.requires_grad for p in model.parameters())
        rows.append([
            name, f'{step:.3f}', f'{step / reference:.2f}x',
            f'{trained}/{len(list(model.parameters()))}',
            f'{1 / statistics.median(test_times[name]):.2f}',
            f'{1 / statistics.median(loop_times[name]):.2f}'
            if name in loop_times else ''
        ])
    print(f'{device.type}, {torch.get_num_threads()} threads, batch '
          f'{args.batch_size} x {height}x{width}, median of {args.rounds} '
          f'rounds; reference backbone {base_cfg.model.backbone.type}-'
          f'{base_cfg.model.backbone.depth} (C4 detectors: C4 Faster R-CNN '
          'of their depth and RoI size); query-support test: '
          f'{args.test_classes} classes (fewer for a model of fewer '
          'classes)')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
