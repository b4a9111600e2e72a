"""Time the detectors' training steps and test images next to plain Faster
R-CNN.

Builds, with ImageNet weights off, mmdet's own ``FasterRCNN`` (in mmdet's
scope) from TFA's base-training model as the reference, then the model of
every method in ``METHODS``: our ``TFA`` detector with the same
base-training model, the TFA fine-tuning model (cosine classifier,
everything but the last layers frozen, frozen parameters left out of the
optimizer), FSCE's contrastive fine-tuning model, MPSR's base training and
fine-tuning models, ... All get the same synthetic batch (images of one
size with a few boxes each; the labels fit each model's classes; MPSR also
gets its batch of object crops at each of its 6 scales, the extra work of
its auxiliary branch) and run whole training steps (data preprocessor,
forward, backward, SGD step) in interleaved rounds (each round in another
order); the
median step time of each and its ratio to Faster R-CNN are printed, then
test-time images per second. Ratios are only meaningful on an otherwise idle
machine.

Example::

    python tools/analysis/benchmark_detection.py --size 512 --batch-size 2
    # one method's rows
    python tools/analysis/benchmark_detection.py --methods MPSR
"""
import argparse
import copy
import statistics
import time
from typing import Callable, Dict, List

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from terminaltables import AsciiTable

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.registry import MODELS

BASE_CONFIG = ('configs/detection/tfa/voc/split1/'
               'tfa_r101_fpn_voc-split1_base-training.py')
# (row name, config of the method's training step, detector type to build
# it as or None); every method adds its rows here
METHODS = [
    ('TFA base training', BASE_CONFIG, 'TFA'),
    ('TFA fine-tuning', 'configs/detection/tfa/voc/split1/'
     'tfa_r101_fpn_voc-split1_1shot-fine-tuning.py', None),
    ('FSCE fine-tuning, contrastive', 'configs/detection/fsce/voc/split1/'
     'fsce_r101_fpn_contrastive-loss_voc-split1_5shot-fine-tuning.py', None),
    ('MPSR base training', 'configs/detection/mpsr/voc/split1/'
     'mpsr_r101_fpn_2xb2_voc-split1_base-training.py', None),
    ('MPSR fine-tuning', 'configs/detection/mpsr/voc/split1/'
     'mpsr_r101_fpn_2xb2_voc-split1_1shot-fine-tuning.py', None),
]
REFERENCE = 'Faster R-CNN (mmdet)'


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
    parser.add_argument('--device', default=None)
    parser.add_argument(
        '--threads', type=int, default=None, help='torch CPU threads')
    return parser.parse_args()


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


def build(model_cfg: dict, scope: str, device: torch.device):
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.get('backbone', {}).pop('init_cfg', None)
    with DefaultScope.overwrite_default_scope(scope):
        if scope == 'mmdet':
            from mmdet.registry import MODELS as MMDET_MODELS
            model = MMDET_MODELS.build(model_cfg)
        else:
            model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(device)


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
    for name, config, detector_type in METHODS:
        if args.methods and not any(word in name for word in args.methods):
            continue
        cfg = configs[name] = Config.fromfile(config)
        model_cfg = copy.deepcopy(cfg.model)
        if detector_type is not None:
            model_cfg.type = detector_type
        models[name] = build(model_cfg, 'mmfewshot_det', device)
        with DefaultScope.overwrite_default_scope('mmfewshot_det'):
            optim_wrappers[name] = build_optim_wrapper(models[name],
                                                       cfg.optim_wrapper)
    num_classes = {
        name: model.roi_head.bbox_head.num_classes
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
    for name, model in models.items():
        model.eval()
        single = synthetic_batch(1, height, width, num_classes[name])
        with torch.no_grad():
            model.test_step(single)
            for _ in range(args.test_images):
                test_times[name].append(
                    timed(lambda: model.test_step(single), device))
    reference = statistics.median(step_times[REFERENCE])
    rows = [[
        'model', 'train step (s)', 'vs Faster R-CNN', 'trained tensors',
        'test images/s'
    ]]
    for name, model in models.items():
        step = statistics.median(step_times[name])
        trained = sum(p.requires_grad for p in model.parameters())
        rows.append([
            name, f'{step:.3f}', f'{step / reference:.2f}x',
            f'{trained}/{len(list(model.parameters()))}',
            f'{1 / statistics.median(test_times[name]):.2f}'
        ])
    print(f'{device.type}, {torch.get_num_threads()} threads, batch '
          f'{args.batch_size} x {height}x{width}, median of {args.rounds} '
          f'rounds; backbone {base_cfg.model.backbone.type}-'
          f'{base_cfg.model.backbone.depth}')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
