"""Every config of ours that carries the file name of a config of the
original toolbox (open-mmlab/mmfewshot v0.1.0) has its settings.

``tests/data/reference/original_configs.json`` holds the merged settings of
every original config, flattened to dotted keys in the original's own
vocabulary (mmcv 1.x / mmdet 2.x / mmcls 0.x); it is written by
``python tools/reference/dump_original_configs.py --original-repo PATH``
from a checkout of the original at tag ``v0.1.0``. This test maps our
settings (mmengine / mmdet 3 / mmpretrain: ``optim_wrapper.optimizer``,
``param_scheduler``, ``train_cfg.max_iters``, ``train_dataloader``, ...)
onto those keys and compares them key by key: learning rate, momentum,
weight decay, warm-up, schedule, batch size, frozen and re-initialised
parameters, the checkpoint a fine-tuning starts from, datasets, splits,
shots, ways, support shots, pipelines, normalisation and the model.

Where mmengine and the original spell the same thing differently, both
sides are brought to one form first (a schedule as its warm-up and the
steps that fall inside the run, a pipeline as its essential steps, the
normalisation wherever it is done). Every key the original's config has is
compared; where ours leaves it out, the default of our class is taken.
Settings only ours have (our own options) are not compared. What is left
out of the comparison and the deliberate differences are listed in
``NOT_COMPARED`` and ``DIFFERENCES`` with their reasons; the differences
are those of the method READMEs' "differences" sections.

The original has 274 config files: 32 ``_base_`` files, merged into the
other 242 (146 detection configs, model files included, and 96
classification configs). 239 of those have a config of the same name here;
``LACKING`` says why the other three have not.
"""
import copy
import fnmatch
import importlib
import importlib.util
import inspect
import json
import math
import os.path as osp
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONFIG_ROOT = ROOT / 'configs'
FIXTURE = ROOT / 'tests/data/reference/original_configs.json'


def _load_dump_script():
    """The dump script's flattening, so that both sides flatten alike."""
    path = ROOT / 'tools/reference/dump_original_configs.py'
    spec = importlib.util.spec_from_file_location('dump_original_configs',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DUMP = _load_dump_script()


def load_original() -> Dict[str, Dict[str, Any]]:
    """Relative path of every original config -> its flat settings."""
    fixture = json.loads(FIXTURE.read_text())
    fragments = fixture['fragments']
    settings = {}
    for path, ids in fixture['configs'].items():
        flat: Dict[str, Any] = {}
        for fragment in ids:
            flat.update(fragments[fragment])
        settings[path] = flat
    return settings


ORIGINAL = load_original()
OURS = {
    path.name: path
    for path in sorted(CONFIG_ROOT.rglob('*.py')) if '_base_' not in path.parts
}
PAIRS = sorted((relative, OURS[Path(relative).name]) for relative in ORIGINAL
               if Path(relative).name in OURS)


def flatten(value: Any, prefix: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    DUMP.flatten(value, prefix, out)
    return out


# --------------------------------------------------------------------------
# our settings under the original's keys
# --------------------------------------------------------------------------
def _scheduler_list(cfg: Config) -> list:
    schedulers = cfg.get('param_scheduler', [])
    return [schedulers] if isinstance(schedulers, dict) else schedulers


def our_schedule(cfg: Config) -> Dict[str, Any]:
    """The run length, warm-up and decay of ``param_scheduler`` and
    ``train_cfg``, in the common form of :func:`original_schedule`."""
    loop = cfg.train_cfg
    by_epoch = loop.type == 'EpochBasedTrainLoop'
    length = loop.max_epochs if by_epoch else loop.max_iters
    out: Dict[str, Any] = {
        'schedule.by_epoch': by_epoch,
        'schedule.length': length,
        'schedule.warmup': None,
        'schedule.steps': []
    }
    for scheduler in _scheduler_list(cfg):
        kind = scheduler.type
        if kind == 'LinearLR':
            # a warm-up counted in iterations from the first one
            assert scheduler.get('by_epoch', True) is False, scheduler
            assert scheduler.get('begin', 0) == 0, scheduler
            assert scheduler.get('end_factor', 1.0) == 1.0, scheduler
            out['schedule.warmup'] = [scheduler.end, scheduler.start_factor]
        elif kind == 'MultiStepLR':
            assert scheduler.get('by_epoch', True) == by_epoch, scheduler
            out['schedule.steps'] = [
                step for step in scheduler.milestones if step < length
            ]
            out['schedule.gamma'] = scheduler.get('gamma', 0.1)
        elif kind == 'ConstantLR':
            assert scheduler.factor == 1.0, scheduler
        else:
            out[f'schedule.{kind}'] = scheduler.to_dict()
    if not out['schedule.steps']:
        out.pop('schedule.gamma', None)
    return out


def original_schedule(flat: Dict[str, Any]) -> Dict[str, Any]:
    """``runner`` and ``lr_config`` of an original config as the run
    length, the linear warm-up ``[iterations, start factor]`` and the decay
    steps that fall inside the run (mmcv's step policy decays when the
    epoch or iteration count reaches a step, so a step at the run's length
    never acts)."""
    by_epoch = flat['runner.type'] == 'EpochBasedRunner'
    length = flat['runner.max_epochs' if by_epoch else 'runner.max_iters']
    out: Dict[str, Any] = {
        'schedule.by_epoch': by_epoch,
        'schedule.length': length,
        'schedule.warmup': None,
        'schedule.steps': []
    }
    warmup = flat.get('lr_config.warmup')
    if warmup is not None:
        assert warmup == 'linear', warmup
        assert not flat.get('lr_config.warmup_by_epoch', False)
        out['schedule.warmup'] = [
            flat['lr_config.warmup_iters'], flat['lr_config.warmup_ratio']
        ]
    policy = flat['lr_config.policy']
    if policy == 'step':
        steps = flat['lr_config.step']
        steps = steps if isinstance(steps, list) else [steps]
        out['schedule.steps'] = [step for step in steps if step < length]
        if out['schedule.steps']:
            out['schedule.gamma'] = flat.get('lr_config.gamma', 0.1)
    else:
        assert policy == 'fixed', policy
    return out


WRAPPED = {
    'QueryAwareDataset': 'query_dataset',
    'NWayKShotDataset': 'query_dataset',
    'TwoBranchDataset': 'main_dataset',
    'EpisodicDataset': 'dataset',
    'MetaTestDataset': 'dataset'
}


def our_train_data(loader: dict) -> Dict[str, Any]:
    """``train_dataloader`` under the keys of the original's
    ``data.train``: a wrapper's inner dataset is ``data.train.dataset``
    (our NWayKShotDataset's two datasets are the original's query dataset
    and its support pipeline)."""
    dataset = copy.deepcopy(loader['dataset'])
    out = {'data.samples_per_gpu': loader['batch_size']}
    inner_key = WRAPPED.get(dataset['type'])
    if inner_key is None:
        out.update(flatten(dataset, 'data.train'))
        return out
    inner = dataset.pop(inner_key)
    support = dataset.pop('support_dataset', None)
    auxiliary = dataset.pop('auxiliary_dataset', None)
    out.update(flatten(dataset, 'data.train'))
    support_pipeline = None
    if 'pipeline' in inner and support is not None:
        # NWayKShotDataset: one pipeline per dataset
        support_pipeline = support.pop('pipeline')
        inner['multi_pipelines'] = dict(
            query=inner.pop('pipeline'), support=support_pipeline)
    if dataset['type'] == 'TwoBranchDataset':
        out.update(two_branch_auxiliary(inner, auxiliary))
    out.update(flatten(inner, 'data.train.dataset'))
    if support is not None:
        support['multi_pipelines'] = dict(support=support_pipeline)
        out.update(flatten(support, 'data.train.support_dataset'))
    if 'auxiliary_dataloader' in loader:
        out['data.auxiliary_samples_per_gpu'] = \
            loader['auxiliary_dataloader']['batch_size']
    return out


def two_branch_auxiliary(main: dict,
                         auxiliary: Optional[dict]) -> Dict[str, Any]:
    """Our TwoBranchDataset's auxiliary instances under the original's
    keys; ``main`` gets the auxiliary pipeline in its ``multi_pipelines``.

    Our auxiliary branch always serves single instances; without an
    auxiliary dataset it reads the main dataset (the original's
    ``copy_from_main_dataset``), and so does one configured as the main
    dataset but for its pipeline, its box filter and the saving of the
    set."""
    out = {'data.train.auxiliary_dataset.instance_wise': True}
    if auxiliary is None:
        out['data.train.auxiliary_dataset.copy_from_main_dataset'] = True
        return out
    main_pipeline = main.pop('pipeline')
    main['multi_pipelines'] = dict(
        main=main_pipeline, auxiliary=auxiliary.pop('pipeline'))
    own = {'min_bbox_size', 'save_dataset'}
    out['data.train.auxiliary_dataset.copy_from_main_dataset'] = {
        key: value
        for key, value in auxiliary.items() if key not in own
    } == {
        key: value
        for key, value in main.items()
        if key not in own and key != 'multi_pipelines'
    }
    if 'min_bbox_size' in auxiliary:
        out['data.train.auxiliary_dataset.min_bbox_size'] = \
            auxiliary['min_bbox_size']
    return out


def our_meta_test(loop: dict, model: dict) -> Dict[str, Any]:
    """A meta test loop's settings under the keys of the original's
    ``meta_test_cfg`` (``data.val.meta_test_cfg.*`` without the prefix)."""
    meta_test = loop['meta_test_cfg']
    out = {
        'fast_test': meta_test['fast_test'],
        'support_train_mode': meta_test.get('support_train_mode', False),
        # our support and query loaders take a whole set per batch
        'support.batch_size': 'whole set',
        'query.batch_size': 'whole set'
    }
    train = meta_test.get('support', {}).get('train')
    if train is not None:
        train = dict(train)
        out['support.batch_size'] = train.pop('batch_size')
        out['support.drop_last'] = train.pop('drop_last')
        out.update(flatten(train, 'support.train'))
    if 'num_inner_steps_test' in model:
        out['support.num_inner_steps'] = model['num_inner_steps_test']
    return out


EVALUATOR_METRICS = {
    'FewShotVOCMetric': 'mAP',
    'FewShotCocoMetric': 'bbox',
    'EpisodicAccuracy': 'accuracy'
}


def our_settings(cfg: Config) -> Dict[str, Any]:
    """Our config's settings under the original's keys."""
    out: Dict[str, Any] = {}
    if 'model' in cfg:
        out.update(flatten(cfg.model.to_dict(), 'model'))
        if 'data_preprocessor' in cfg and \
                'data_preprocessor' not in cfg.model:
            # the runner gives it to the model
            out.update(
                flatten(cfg.data_preprocessor.to_dict(),
                        'model.data_preprocessor'))
    if 'optim_wrapper' not in cfg:
        return out
    wrapper = cfg.optim_wrapper
    out.update(flatten(wrapper.optimizer.to_dict(), 'optimizer'))
    if 'paramwise_cfg' in wrapper:
        out.update(
            flatten(wrapper.paramwise_cfg.to_dict(),
                    'optimizer.paramwise_cfg'))
    out['optimizer_config.grad_clip'] = DUMP.to_json(wrapper.get('clip_grad'))
    if wrapper.get('accumulative_counts', 1) != 1:
        out['optimizer_config.type'] = 'GradientCumulativeOptimizerHook'
        out['optimizer_config.cumulative_iters'] = \
            wrapper.accumulative_counts
    out.update(our_schedule(cfg))
    out.update(our_train_data(cfg.train_dataloader.to_dict()))
    out['use_infinite_sampler'] = 'Infinite' in \
        cfg.train_dataloader.sampler.type
    for split in ('val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset.to_dict()
        out.update(flatten(dataset, f'data.{split}'))
        loop = cfg[f'{split}_cfg']
        if 'meta_test_cfg' in loop:
            out.update({
                f'data.{split}.meta_test_cfg.{key}': value
                for key, value in our_meta_test(loop, cfg.model).items()
            })
    model_init = cfg.val_cfg.get('model_init_dataloader')
    if model_init is not None:
        out.update(flatten(model_init.dataset.to_dict(), 'data.model_init'))
        out['data.model_init.samples_per_gpu'] = model_init.batch_size
        copied = model_init.get('copy_from_train', False)
        out['data.model_init.copy_from_train_dataset'] = copied
        if copied:
            # the support instances of training, one item each, of the
            # training classes unless the dataset names others
            out['data.model_init.instance_wise'] = True
            if out.get('data.model_init.classes') is None:
                out['data.model_init.classes'] = out.get(
                    'data.train.dataset.classes')
    evaluator = cfg.val_evaluator
    out['evaluation.metric'] = EVALUATOR_METRICS[evaluator.type]
    splits = evaluator.get('class_splits')
    out['evaluation.class_splits'] = None if splits is None else list(splits)
    out['evaluation.interval'] = cfg.train_cfg.val_interval
    out['reinit_on_load'] = sorted(cfg.get('reinit_on_load') or [])
    out['load_from'] = cfg.get('load_from')
    init = cfg.model.backbone.get('init_cfg') or {}
    if out['load_from'] is None and init.get('type') == 'PretrainedMatch':
        # Meta-Baseline starts from the Baseline checkpoint's backbone; the
        # original loads the whole checkpoint, of which only the backbone
        # fits (Baseline's linear head has no counterpart in Meta-Baseline)
        out['load_from'] = init.checkpoint
    out['seed'] = cfg.randomness.seed
    for index, hook in enumerate(cfg.get('custom_hooks', [])):
        out.update(flatten(hook.to_dict(), f'custom_hooks.{index}'))
    return out


# --------------------------------------------------------------------------
# both sides in one form
# --------------------------------------------------------------------------
def _resize(scales: list, mode: str, keep_ratio: bool) -> dict:
    scales = [list(scale) for scale in scales]
    if len(scales) == 1:
        mode = 'value'
    return dict(
        type='Resize', scales=sorted(scales), mode=mode, keep_ratio=keep_ratio)


def _flip(prob: Optional[float], direction: str = 'horizontal') -> list:
    # a flip that never happens is no step
    if not prob:
        return []
    return [dict(type='RandomFlip', prob=prob, direction=direction)]


def original_steps(steps: list, found: dict) -> list:
    """An original pipeline in the common form; its normalisation and
    padding go to ``found``."""
    out: list = []
    for step in copy.deepcopy(steps):
        kind = step.pop('type')
        if kind in ('Normalize', 'MultiImageNormalize'):
            found['normalize'] = [step['mean'], step['std'], step['to_rgb']]
        elif kind in ('Pad', 'MultiImagePad'):
            found['pad'] = step['size_divisor']
        elif kind == 'LoadAnnotations':
            continue
        elif kind == 'MultiScaleFlipAug':
            assert not step['flip']
            inner = {step['type']: step for step in step['transforms']}
            scale = step['img_scale']
            out.append(
                _resize([scale], 'value',
                        inner['Resize'].get('keep_ratio', True)))
            original_steps(
                [t for t in step['transforms'] if t['type'] != 'Resize'],
                found)
        elif kind == 'Resize' and 'size' in step:
            # mmcls: (short edge, -1) keeps the aspect ratio
            size = step['size']
            assert size[1] == -1 and step.get('adaptive_side', 'short') \
                == 'short', step
            out.append(dict(type='ResizeShortEdge', size=size[0]))
        elif kind == 'Resize':
            scales = step['img_scale']
            if not isinstance(scales[0], (list, tuple)):
                scales = [scales]
            out.append(
                _resize(scales, step.get('multiscale_mode', 'range'),
                        step.get('keep_ratio', True)))
        elif kind == 'RandomFlip':
            out += _flip(
                step.get('flip_ratio', step.get('flip_prob')),
                step.get('direction', 'horizontal'))
        elif kind == 'MultiImageRandomFlip':
            out.append(dict(type=kind, prob=step['flip_ratio']))
        elif kind == 'ResizeToMultiScale':
            out.append(dict(type=kind, scales=step['multi_scales']))
        elif kind == 'MultiImageRandomCrop':
            out.append(dict(type=kind, crop_sizes=step['multi_crop_sizes']))
        else:
            out.append(dict(type=kind, **step))
    return out


# our transforms under the original's names: the crop of MPSR's auxiliary
# objects (the original's CropInstance cuts a square)
OUR_TRANSFORM_NAMES = {'CropSquareInstance': 'CropInstance'}
PACKING = ('PackDetInputs', 'PackInputs', 'MultiImagePackDetInputs',
           'LoadAnnotations')


def our_steps(steps: list) -> list:
    """One of our pipelines in the common form."""
    out: list = []
    for step in copy.deepcopy(steps):
        kind = step.pop('type')
        kind = OUR_TRANSFORM_NAMES.get(kind, kind)
        if kind in PACKING:
            continue
        if kind == 'Resize' and 'scale' in step:
            out.append(
                _resize([step['scale']], 'value',
                        step.get('keep_ratio', False)))
        elif kind == 'RandomChoiceResize':
            out.append(
                _resize(step['scales'], 'value', step.get('keep_ratio',
                                                          False)))
        elif kind == 'RandomResize':
            out.append(
                _resize(step['scale'], 'range', step.get('keep_ratio', False)))
        elif kind == 'ResizeEdge':
            assert step.get('edge', 'short') == 'short', step
            out.append(dict(type='ResizeShortEdge', size=step['scale']))
        elif kind == 'RandomFlip':
            out += _flip(step['prob'], step.get('direction', 'horizontal'))
        elif kind == 'RandomResizedCrop':
            out.append(dict(type=kind, size=step.pop('scale'), **step))
        else:
            out.append(dict(type=kind, **step))
    return out


def is_support_pipeline(key: str) -> bool:
    return key.endswith('multi_pipelines.support') or key in (
        'data.model_init.pipeline', )


def our_normalisation(flat: Dict[str, Any], key: str, steps: list) -> dict:
    """Where our pipelines leave normalisation and padding: the model's
    data preprocessor (its support path for support instances)."""
    main = {
        name[len('model.data_preprocessor.'):]: value
        for name, value in flat.items()
        if name.startswith('model.data_preprocessor.')
    }
    settings = dict(main)
    if is_support_pipeline(key):
        support = {
            name[len('support.'):]: value
            for name, value in main.items() if name.startswith('support.')
        }
        settings = dict(
            mean=support.get('mean', main.get('mean')),
            std=support.get('std', main.get('std')),
            bgr_to_rgb=support.get('bgr_to_rgb', main.get('bgr_to_rgb')),
            pad_size_divisor=support.get('pad_size_divisor'))
    if 'mean' not in settings:
        return {}
    mean, std = list(settings['mean']), list(settings['std'])
    if any(step['type'] == 'GenerateMask' for step in steps):
        # our mask channel is 0/255 where the original appended a 0/1 mask
        # after normalising the image: mean 0 and std 255 for it
        assert (mean[3:], std[3:]) == ([0.0], [255.0]), (mean, std)
        mean, std = mean[:3], std[:3]
    to_rgb = settings.get('bgr_to_rgb', settings.get('to_rgb', False))
    found = dict(normalize=[mean, std, to_rgb])
    divisor = settings.get('pad_size_divisor', 1)
    if key.startswith(('data.val.', 'data.test.')) and \
            settings.get('test_pad_size_divisor') is not None:
        divisor = settings['test_pad_size_divisor']
    if divisor not in (None, 1):
        found['pad'] = divisor
    return found


def pipelines(flat: Dict[str, Any], side: str) -> Dict[str, Any]:
    """Every pipeline of ``flat`` in the common form, with its
    normalisation (``<key>.normalize``) and padding (``<key>.pad``)."""
    out = {}
    for key, steps in flat.items():
        if not DUMP.is_pipeline_key(key) or steps is None:
            continue
        if side == 'original':
            found: dict = {}
            out[key] = original_steps(steps, found)
        else:
            out[key] = our_steps(steps)
            found = our_normalisation(flat, key, out[key])
        out[f'{key}.normalize'] = found.get('normalize')
        out[f'{key}.pad'] = found.get('pad')
    return out


# Our COCO layout keeps the file names under which TFA published its split
# (tools/data/detection/coco/README.md); the original's re-packed archive
# renamed the same files train.json and val.json.
COCO_FILES = {
    'data/few_shot_ann/coco/annotations/trainvalno5k.json':
    'data/few_shot_ann/coco/annotations/train.json',
    'data/few_shot_ann/coco/annotations/5k.json':
    'data/few_shot_ann/coco/annotations/val.json'
}


def ann_files(flat: Dict[str, Any], side: str) -> Dict[str, Any]:
    """Annotation files as paths from the repository root (ours are
    relative to the dataset's ``data_root`` where it has one)."""
    out = {}
    for key, value in flat.items():
        match = re.fullmatch(r'(.*)\.ann_cfg\.\d+\.ann_file', key)
        if match is None or value is None:
            continue
        data_root = flat.get(f'{match.group(1)}.data_root')
        if data_root and not osp.isabs(value):
            value = osp.join(data_root, value)
        value = osp.normpath(value)
        out[key] = COCO_FILES.get(value, value) if side == 'ours' else value
    return out


def voc_box_offsets(flat: Dict[str, Any]) -> Dict[str, Any]:
    """Our VOC datasets subtract 1 from all four box coordinates (mmdet's
    reading), which the original's configs write as ``coordinate_offset``
    (MPSR's; the original's default moved the top-left corner only, a
    difference the TFA README lists)."""
    return {
        f'{key[:-len(".type")]}.coordinate_offset': [-1, -1, -1, -1]
        for key, value in flat.items()
        if key.startswith('data.') and key.endswith('.type')
        and isinstance(value, str) and value.startswith('FewShotVOC')
    }


def copied_model_init(flat: Dict[str, Any]) -> Dict[str, Any]:
    """The original's model initialisation set copied from training
    (``copy_from_train_dataset``): its annotation settings do not apply to
    the copied instances, and a shot filter equal to the training one (or
    none) keeps them all; without classes it takes the training classes.
    Returns the keys to drop (as None values) and to set."""
    out: Dict[str, Any] = {}
    if not flat.get('data.model_init.copy_from_train_dataset'):
        return out
    for key in ('use_difficult', 'ann_cfg'):
        out[f'data.model_init.{key}'] = None
    for key in ('num_novel_shots', 'num_base_shots'):
        value = flat.get(f'data.model_init.{key}')
        if value is None or value == flat.get(f'data.train.dataset.{key}'):
            out[f'data.model_init.{key}'] = None
    if flat.get('data.model_init.classes') is None:
        out['data.model_init.classes'] = flat.get('data.train.dataset.classes')
    return out


# The original's classifiers whose meta test, with fast_test off, runs the
# support images through a model in training mode that BatchNorm with
# running statistics sees: the Baseline family puts its backbone in
# evaluation mode itself, and MAML's BatchNorm keeps no running statistics
# (batch statistics in either mode).
SUPPORT_TRAIN_MODE_CLASSIFIERS = ('ProtoNet', 'MatchingNet', 'RelationNet',
                                  'MetaBaseline')


def support_train_mode(flat: Dict[str, Any]) -> Dict[str, Any]:
    """Whether the original's meta tests run the support set in training
    mode: wherever ``fast_test`` is off (its test tool never puts the model
    in evaluation mode, and validation runs on the training model), for
    the classifiers of ``SUPPORT_TRAIN_MODE_CLASSIFIERS``."""
    out = {}
    for split in ('val', 'test'):
        prefix = f'data.{split}.meta_test_cfg'
        if f'{prefix}.fast_test' in flat:
            out[f'{prefix}.support_train_mode'] = not flat[
                f'{prefix}.fast_test'] and flat.get(
                    'model.type') in SUPPORT_TRAIN_MODE_CLASSIFIERS
    return out


def whole_set_batches(flat: Dict[str, Any]) -> Dict[str, Any]:
    """The original's meta-test batch sizes that take a task's whole
    support (ways x shots) or query (ways x queries) set, as ours do."""
    out = {}
    for split in ('val', 'test'):
        prefix = f'data.{split}.meta_test_cfg'
        ways = flat.get(f'data.{split}.num_ways')
        for part, count in (('support', 'num_shots'), ('query',
                                                       'num_queries')):
            if part == 'support' and \
                    f'{prefix}.support.train.num_steps' in flat:
                # the fine-tuning's batch size, compared as it is
                continue
            size = flat.get(f'{prefix}.{part}.batch_size')
            if ways and size == ways * flat[f'data.{split}.{count}']:
                out[f'{prefix}.{part}.batch_size'] = 'whole set'
    return out


def module_paths(flat: Dict[str, Any]) -> List[str]:
    """The submodules a model config declares (``roi_head.shared_head``)."""
    paths = []
    for key in flat:
        parts = key.split('.')
        if parts[0] == 'model' and parts[-1] == 'type' and len(parts) > 2 \
                and parts[1] not in ('train_cfg', 'test_cfg',
                                     'data_preprocessor'):
            paths.append('.'.join(parts[1:-1]))
    return paths


def has_parameters(flat: Dict[str, Any], path: str) -> bool:
    """False for an aggregation layer whose aggregators have no layers
    (Meta R-CNN's product): freezing it freezes nothing."""
    if flat.get(f'model.{path}.type') != 'AggregationLayer':
        return True
    return any(value for key, value in flat.items()
               if key.startswith(f'model.{path}.aggregator_cfgs.')
               and key.endswith('.with_fc'))


def inside_parameterless(flat: Dict[str, Any], path: str) -> bool:
    parts = path.split('.')
    return any(not has_parameters(flat, '.'.join(parts[:end]))
               for end in range(1,
                                len(parts) + 1))


def outermost(paths: List[str]) -> List[str]:
    """The paths not inside another path of the list, sorted."""
    paths = set(paths)
    return sorted(
        path for path in paths
        if not any(path.startswith(f'{other}.') for other in paths))


def original_frozen(flat: Dict[str, Any]) -> List[str]:
    """The original freezes every parameter whose name contains one of the
    names; as our prefixes: the declared submodules whose path contains it
    (``shared_head`` -> ``roi_head.shared_head``), or the name itself where
    it names a part of a declared submodule
    (``roi_head.bbox_head.shared_fcs``); a name that matches no parameter
    (``neck`` in a C4 model) freezes nothing."""
    declared = module_paths(flat)
    frozen = []
    for name in flat.get('model.frozen_parameters') or []:
        matches = [path for path in declared if name in path]
        if not matches and any(
                name.startswith(f'{path}.') for path in declared):
            matches = [name]
        frozen += [
            path for path in matches if not inside_parameterless(flat, path)
        ]
    return outermost(frozen)


def our_frozen(flat: Dict[str, Any]) -> List[str]:
    return outermost(flat.get('model.frozen_parameters') or [])


def original_by_name() -> Dict[str, Dict[str, Any]]:
    return {Path(path).stem: flat for path, flat in ORIGINAL.items()}


CHECKPOINT = re.compile(r'(?:\./)?work_dirs/([^/]+)/(.+)')


def checkpoint_role(path: Optional[str]) -> Optional[list]:
    """``[config name, which checkpoint]`` of a ``load_from``: the last
    checkpoint of that config's run (the original's ``latest.pth``, our
    ``iter_<its max_iters>.pth``), its best one or a named file (TFA's
    surgery output)."""
    if path is None:
        return None
    match = CHECKPOINT.fullmatch(path)
    assert match is not None, path
    config, file = match.groups()
    if file == 'latest.pth':
        return [config, 'last']
    if file.startswith('best_accuracy_mean'):
        return [config, 'best']
    number = re.fullmatch(r'iter_(\d+)\.pth', file)
    if number is not None:
        max_iters = original_by_name()[config]['runner.max_iters']
        if int(number.group(1)) == max_iters:
            return [config, 'last']
    return [config, file]


HEAD = 'model.roi_head.bbox_head'


def original_reinit(flat: Dict[str, Any]) -> List[str]:
    """The layers that the original leaves at their initial values when a
    fine-tuning loads its base model: mmcv skips every tensor whose shape
    differs, i.e. the classifier (and the class-specific regressor and the
    meta classifier) when the number of classes changes."""
    role = checkpoint_role(flat.get('load_from'))
    if role is None or role[1] != 'last':
        return []
    base = original_by_name()[role[0]]
    layers = []
    if base.get(f'{HEAD}.num_classes') != flat.get(f'{HEAD}.num_classes'):
        layers.append('roi_head.bbox_head.fc_cls')
        if not flat.get(f'{HEAD}.reg_class_agnostic', False):
            layers.append('roi_head.bbox_head.fc_reg')
    if base.get(f'{HEAD}.num_meta_classes') != flat.get(
            f'{HEAD}.num_meta_classes'):
        layers.append('roi_head.bbox_head.fc_meta')
    return sorted(layers)


def hooks_by_type(flat: Dict[str, Any]) -> Dict[str, Any]:
    """``custom_hooks.<index>.<key>`` as ``custom_hooks.<type>.<key>``."""
    types = {
        key.split('.')[1]: value
        for key, value in flat.items()
        if re.fullmatch(r'custom_hooks\.\d+\.type', key)
    }
    out = {}
    for key, value in flat.items():
        parts = key.split('.')
        if parts[0] == 'custom_hooks' and parts[-1] != 'type':
            out['.'.join(['custom_hooks', types[parts[1]]] + parts[2:])] = \
                value
    for kind in types.values():
        out[f'custom_hooks.{kind}'] = True
    return out


PRETRAINED = {
    'model.pretrained':
    'model.backbone.init_cfg.checkpoint',
    'model.roi_head.shared_head.pretrained':
    'model.roi_head.shared_head.init_cfg.checkpoint'
}


def canonical(flat: Dict[str, Any], side: str) -> Dict[str, Any]:
    """``flat`` (the original's settings or :func:`our_settings`) with its
    schedule, pipelines, annotation files, frozen and re-initialised
    parameters, checkpoint and hooks in the common form."""
    out = {
        key: value
        for key, value in flat.items()
        if not key.startswith(('lr_config.', 'runner.', 'custom_hooks.'))
    }
    if side == 'original':
        if 'runner.type' in flat:
            out.update(original_schedule(flat))
        for old, new in PRETRAINED.items():
            if old in out:
                out[new] = out.pop(old)
        for key, value in copied_model_init(flat).items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        out.update(whole_set_batches(flat))
        out.update(support_train_mode(flat))
    else:
        out.update(voc_box_offsets(flat))
    out.update(pipelines(flat, side))
    out.update(ann_files(flat, side))
    out.update(hooks_by_type(flat))
    if any(key.startswith('model.') for key in flat):
        out['model.frozen_parameters'] = (
            original_frozen(flat) if side == 'original' else our_frozen(flat))
    if 'load_from' in flat:
        if side == 'original':
            out['reinit_on_load'] = original_reinit(flat)
        out['load_from'] = checkpoint_role(flat['load_from'])
    return out


# --------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------
def same(ours: Any, original: Any) -> bool:
    """Equal values; numbers within float rounding, tuples as lists."""
    if isinstance(original, dict) and isinstance(ours, dict):
        return ours.keys() == original.keys() and all(
            same(ours[key], original[key]) for key in original)
    if isinstance(original, (list, tuple)) and isinstance(ours, (list, tuple)):
        return len(ours) == len(original) and all(
            same(a, b) for a, b in zip(ours, original))
    if isinstance(original, bool) or isinstance(ours, bool):
        return ours is original
    if isinstance(original, float) or isinstance(ours, float):
        return isinstance(ours, (int, float)) and isinstance(
            original, (int, float)) and math.isclose(
                ours, original, rel_tol=1e-9, abs_tol=1e-12)
    return ours == original


MISSING = '<not set>'

# Settings of the original that decide nothing a run computes, or that
# mmengine decides elsewhere: (key pattern, config pattern, reason).
NOT_COMPARED = [
    ('custom_hooks.NumClassCheckHook', 'detection/*',
     'a check of the class counts before training and evaluation that '
     'computes nothing (mmdet 3 has it in no default runtime; it refuses '
     "Attention-RPN's one-class relation head)"),
    ('*save_dataset', 'detection/*',
     'writes the loaded few-shot set into the work folder'),
    ('evaluation.classwise', 'detection/*', 'how results are printed'),
    ('evaluation.by_epoch', 'classification/*',
     'the unit of the validation interval, which is compared as '
     'schedule.by_epoch and evaluation.interval'),
    ('data.*.meta_test_cfg.num_episodes', 'classification/*',
     "the meta-test dataset's num_episodes, compared as "
     'data.<split>.num_episodes, sets ours'),
    ('data.*.meta_test_cfg.num_ways', 'classification/*',
     "the meta-test dataset's num_ways, compared as "
     'data.<split>.num_ways, sets ours'),
    ('data.*.meta_test_cfg.test_set.batch_size', 'classification/*',
     'the batch size of the feature extraction of the whole split, with '
     'the model in evaluation mode (results do not depend on it)'),
    ('use_infinite_sampler', 'classification/*',
     "epoch-based training: the original's infinite sampler streams one "
     "shuffled pass over the data set an epoch, as mmengine's shuffled "
     'DefaultSampler does; episodic training draws episodes in both'),
    ('*.init_cfg.checkpoint', 'detection/*fine-tuning.py',
     "the ImageNet weights of the original's fine-tuning configs are "
     'replaced by the base model (load_from) before training; ours do not '
     'load them first'),
    ('data.train.support_dataset.multi_pipelines.query*', 'detection/*',
     'a support dataset runs only its support pipeline'),
    ('data.val.meta_test_cfg.fast_test', 'classification/baseline*/'
     'tiered_imagenet/*', 'the Baseline family runs its backbone in '
     'evaluation mode in any meta test, so cached features answer the '
     "tasks exactly as the original's task by task validation does, only "
     'faster (support_train_mode is compared)'),
    ('data.val.meta_test_cfg.fast_test', 'classification/neg_margin/'
     'tiered_imagenet/*', 'as for the Baseline family'),
    ('*.init_cfg.checkpoint', 'detection/tfa/tfa_r101_fpn.py',
     "TFA's model file serves only its fine-tuning configs, which start "
     'from the base model'),
    ('*.init_cfg.checkpoint', 'detection/fsce/fsce_r101_fpn.py',
     "FSCE's model file serves only its fine-tuning configs, which start "
     'from the base model'),
]

# Deliberate differences, each listed in its method README's differences:
# (config pattern, key pattern, reason).
DIFFERENCES = [
    ('classification/meta_baseline/tiered_imagenet/*',
     'data.train.dataset.type',
     "the original's meta stage reads miniImageNet images "
     '(meta_baseline/README.md)'),
    ('detection/attention_rpn/*', 'model.roi_head.bbox_head.with_avg_pool',
     "the original's relation head inherits mmdet's average pool and never "
     'uses it'),
]


def matches(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)


def not_compared(key: str, relative: str) -> bool:
    return any(
        matches(key, key_pattern) and matches(relative, config_pattern)
        for key_pattern, config_pattern, _ in NOT_COMPARED)


def deliberate(key: str, relative: str) -> bool:
    return any(
        matches(relative, config_pattern) and matches(key, key_pattern)
        for config_pattern, key_pattern, _ in DIFFERENCES)


NO_DEFAULT = object()


def declared_default(obj: Any, name: str) -> Any:
    """The default of argument ``name`` of a class's ``__init__`` chain
    (the first class of the method resolution order that names it)."""
    for klass in getattr(obj, '__mro__', (obj, )):
        init = vars(klass).get('__init__')
        if init is None:
            continue
        parameter = inspect.signature(init).parameters.get(name)
        if parameter is not None:
            if parameter.default is inspect.Parameter.empty:
                return NO_DEFAULT
            return DUMP.to_json(parameter.default)
    return NO_DEFAULT


@lru_cache(maxsize=None)
def registered(field: str, name: str) -> Any:
    """The class our registries of ``field`` resolve ``name`` to."""
    # importing the field registers our classes
    importlib.import_module(f'mmfewshot.{field}')
    registry = importlib.import_module(f'mmfewshot.{field}.registry')
    for role in ('MODELS', 'DATASETS', 'TRANSFORMS', 'TASK_UTILS'):
        found = getattr(registry, role).get(name)
        if found is not None:
            return found
    return None


def our_default(flat: Dict[str, Any], key: str, field: str) -> Any:
    """What our class takes for ``key`` when our config leaves it out:
    the default of the constructor of the ``type`` beside it."""
    parent, _, name = key.rpartition('.')
    kind = flat.get(f'{parent}.type')
    if not isinstance(kind, str):
        return NO_DEFAULT
    klass = registered(field, kind)
    if klass is None:
        return NO_DEFAULT
    return declared_default(klass, name)


@lru_cache(maxsize=None)
def our_config(path: Path) -> Config:
    return Config.fromfile(str(path))


def differences(relative: str, path: Path) -> Dict[str, Tuple[Any, Any]]:
    """Every compared key whose value differs: key -> (ours, original)."""
    original = canonical(ORIGINAL[relative], 'original')
    ours = canonical(our_settings(our_config(path)), 'ours')
    found = {}
    for key, expected in original.items():
        if not_compared(key, relative):
            continue
        actual = ours.get(key, MISSING)
        if actual is MISSING:
            default = our_default(ours, key, relative.split('/')[0])
            actual = MISSING if default is NO_DEFAULT else default
        if key.endswith('.min_bbox_area'):
            # no area filter
            actual, expected = actual or 0, expected or 0
        if not same(actual, expected):
            found[key] = (actual, expected)
    return found


@lru_cache(maxsize=None)
def found_differences(relative: str) -> Dict[str, Tuple[Any, Any]]:
    return differences(relative, OURS[Path(relative).name])


# The original's configs that have no config of the same name here.
LACKING = {
    'detection/attention_rpn/coco/attention-rpn_r50_c4_4xb2_coco_'
    'official-base-training.py':
    "the FSOD authors' own COCO split is not ported "
    '(attention_rpn/README.md)',
    'detection/attention_rpn/coco/attention-rpn_r50_c4_4xb2_coco_'
    'official-10shot-fine-tuning.py':
    "the FSOD authors' own COCO split is not ported "
    '(attention_rpn/README.md)',
    'detection/fsce/fsce_r101_fpn_contrastive_loss.py':
    'a model file; ours, fsce_r101_fpn_contrastive-loss.py, holds the '
    'contrastive head of each shot count that the contrastive-loss configs '
    "put into FSCE's model, and those configs are compared",
}


def test_every_original_config_is_compared_or_listed():
    """242 original configs (137 + 9 model files of detection, 96 of
    classification; their 32 ``_base_`` files are merged into them): all
    but the three of ``LACKING`` have a config of the same name here."""
    assert len(ORIGINAL) == 242
    assert sum(path.startswith('classification/') for path in ORIGINAL) == 96
    lacking = {
        relative
        for relative in ORIGINAL if Path(relative).name not in OURS
    }
    assert lacking == set(LACKING)
    assert len(PAIRS) == 239


@pytest.mark.parametrize(
    'relative', [relative for relative, _ in PAIRS], ids=lambda r: r)
def test_config_has_the_original_settings(relative):
    found = {
        key: value
        for key, value in found_differences(relative).items()
        if not deliberate(key, relative)
    }
    assert not found, '\n'.join(
        f'{key}: ours {ours!r}, the original {original!r}'
        for key, (ours, original) in sorted(found.items()))


def test_every_listed_difference_and_exception_applies():
    """The allow-lists hold no stale entry: every deliberate difference is
    found in some config, and every setting left out of the comparison is
    a setting of some original config."""
    unused = []
    for config_pattern, key_pattern, reason in DIFFERENCES:
        if not any(
                matches(relative, config_pattern) and any(
                    matches(key, key_pattern)
                    for key in found_differences(relative))
                for relative, _ in PAIRS):
            unused.append((config_pattern, key_pattern))
    for key_pattern, config_pattern, reason in NOT_COMPARED:
        if not any(
                matches(relative, config_pattern) and any(
                    matches(key, key_pattern)
                    for key in canonical(ORIGINAL[relative], 'original'))
                for relative, _ in PAIRS):
            unused.append((key_pattern, config_pattern))
    assert not unused


def test_schedules_compare_by_what_acts():
    """A step at the run's length never acts (mmcv decays when the count
    reaches a step), warm-up ratio and LinearLR start factor are one; the
    pre-release FSDetView COCO schedule differs from the release's."""
    release = original_schedule({
        'runner.type': 'IterBasedRunner',
        'runner.max_iters': 80000,
        'lr_config.policy': 'step',
        'lr_config.step': [80000],
        'lr_config.warmup': 'linear',
        'lr_config.warmup_iters': 1000,
        'lr_config.warmup_ratio': 0.001
    })
    assert release == {
        'schedule.by_epoch': False,
        'schedule.length': 80000,
        'schedule.warmup': [1000, 0.001],
        'schedule.steps': []
    }
    ours = Config(
        dict(
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=80000),
            param_scheduler=[
                dict(
                    type='LinearLR',
                    start_factor=0.001,
                    by_epoch=False,
                    begin=0,
                    end=1000),
                dict(type='MultiStepLR', by_epoch=False, milestones=[80000])
            ]))
    assert our_schedule(ours) == release
    pre_release = Config(
        dict(
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=120000),
            param_scheduler=[
                dict(
                    type='LinearLR',
                    start_factor=0.001,
                    by_epoch=False,
                    begin=0,
                    end=500),
                dict(
                    type='MultiStepLR',
                    by_epoch=False,
                    milestones=[110000],
                    gamma=0.5)
            ]))
    assert our_schedule(pre_release) == {
        'schedule.by_epoch': False,
        'schedule.length': 120000,
        'schedule.warmup': [500, 0.001],
        'schedule.steps': [110000],
        'schedule.gamma': 0.5
    }


def test_frozen_names_become_prefixes():
    """The original's substrings name what they matched: ``shared_head``
    the res5 head, ``aggregation_layer`` nothing in Meta R-CNN (its product
    has no layer) but FSDetView's aggregators, ``neck`` nothing in a C4
    model; TFA's ``roi_head.bbox_head.shared_fcs`` is a part of a declared
    module."""
    c4 = {
        'model.backbone.type':
        'ResNet',
        'model.rpn_head.type':
        'RPNHead',
        'model.roi_head.type':
        'MetaRCNNRoIHead',
        'model.roi_head.shared_head.type':
        'MetaRCNNResLayer',
        'model.roi_head.bbox_head.type':
        'MetaBBoxHead',
        'model.roi_head.aggregation_layer.type':
        'AggregationLayer',
        'model.roi_head.aggregation_layer.aggregator_cfgs.0.type':
        'DotProductAggregator',
        'model.roi_head.aggregation_layer.aggregator_cfgs.0.with_fc':
        False,
        'model.frozen_parameters':
        ['backbone', 'neck', 'shared_head', 'rpn_head', 'aggregation_layer']
    }
    assert original_frozen(c4) == [
        'backbone', 'roi_head.shared_head', 'rpn_head'
    ]
    c4['model.roi_head.aggregation_layer.aggregator_cfgs.0.with_fc'] = True
    assert original_frozen(c4) == [
        'backbone', 'roi_head.aggregation_layer', 'roi_head.shared_head',
        'rpn_head'
    ]
    fpn = {
        'model.backbone.type': 'ResNet',
        'model.neck.type': 'FPN',
        'model.roi_head.bbox_head.type': 'CosineSimBBoxHead',
        'model.frozen_parameters': ['neck', 'roi_head.bbox_head.shared_fcs']
    }
    assert original_frozen(fpn) == ['neck', 'roi_head.bbox_head.shared_fcs']


def test_pipelines_compare_by_their_steps():
    """An original pipeline (Normalize and Pad in it) and ours
    (normalisation and padding in the data preprocessor) in one form."""
    found: dict = {}
    original = original_steps([
        dict(type='LoadAnnotations', with_bbox=True),
        dict(
            type='Resize',
            img_scale=[(1333, 480), (1333, 800)],
            keep_ratio=True,
            multiscale_mode='value'),
        dict(type='RandomFlip', flip_ratio=0.5),
        dict(
            type='Normalize',
            mean=[103.53, 116.28, 123.675],
            std=[1.0, 1.0, 1.0],
            to_rgb=False),
        dict(type='Pad', size_divisor=32)
    ], found)
    ours = our_steps([
        dict(type='LoadAnnotations', with_bbox=True),
        dict(
            type='RandomChoiceResize',
            scales=[(1333, 800), (1333, 480)],
            keep_ratio=True,
            resize_type='mmdet.Resize'),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackDetInputs')
    ])
    assert ours == original == [
        dict(
            type='Resize',
            scales=[[1333, 480], [1333, 800]],
            mode='value',
            keep_ratio=True),
        dict(type='RandomFlip', prob=0.5, direction='horizontal')
    ]
    assert found == dict(
        normalize=[[103.53, 116.28, 123.675], [1.0, 1.0, 1.0], False], pad=32)
    # a flip that never happens is no step; a range of scales is not a
    # choice of them
    assert original_steps([dict(type='RandomFlip', flip_ratio=0.0)], {}) == []
    assert our_steps([
        dict(
            type='RandomResize',
            scale=[(1333, 480), (1333, 800)],
            keep_ratio=True)
    ]) != ours[:1]
