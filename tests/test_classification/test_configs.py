"""The classification config zoo: every config is named by the convention,
loads, builds its model, names only registered types and describes the data
its name promises; the benchmark configs follow the published protocols;
one config per method trains on a random batch shaped like its data."""
import copy
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import FUNCTIONS, Registry
from mmpretrain.structures import DataSample

from mmfewshot.classification.models import (BaseFewShotClassifier,
                                             BaseFinetuneHead, RelationHead)
from mmfewshot.classification.registry import (DATA_SAMPLERS, DATASETS, HOOKS,
                                               LOOPS, METRICS, MODELS,
                                               OPTIM_WRAPPERS, OPTIMIZERS,
                                               PARAM_SCHEDULERS, TRANSFORMS,
                                               VISBACKENDS, VISUALIZERS,
                                               WEIGHT_INITIALIZERS)
from mmfewshot.utils import load_config

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs' / \
    'classification'
LEAF_CONFIGS = sorted(
    path for path in CONFIG_ROOT.rglob('*.py')
    if '_base_' not in path.relative_to(CONFIG_ROOT).parts)

# {algorithm}_[setting]_{backbone}_{gpus}xb{batch}_{dataset}_{meta test}.py
NAME_PATTERN = re.compile(r'(?P<algorithm>[a-z0-9]+(?:-[a-z0-9]+)*)'
                          r'(?:_(?P<setting>[a-z0-9]+(?:-[a-z0-9]+)*))?'
                          r'_(?P<backbone>conv4|resnet12|wrn28x10)'
                          r'_(?P<gpus>\d+)xb(?P<batch>\d+)'
                          r'_(?P<dataset>[a-z0-9]+(?:-[a-z0-9]+)*)'
                          r'_(?P<num_ways>\d+)way-(?P<num_shots>\d+)shot\.py')

# method folder -> the classifier its configs build
METHODS = {
    'baseline': 'Baseline',
    'baseline_plus': 'BaselinePlus',
    'neg_margin': 'NegMargin',
    'matching_net': 'MatchingNet',
    'proto_net': 'ProtoNet',
    'relation_net': 'RelationNet',
    'meta_baseline': 'MetaBaseline',
    'maml': 'MAML',
}
FINETUNE_METHODS = ('Baseline', 'BaselinePlus', 'NegMargin')
# benchmark in a config name -> (dataset class, data root, base classes)
BENCHMARKS = {
    'cub': ('CUBDataset', 'data/CUB_200_2011', 100),
    'mini-imagenet': ('MiniImageNetDataset', 'data/mini_imagenet', 64),
    'tiered-imagenet': ('TieredImageNetDataset', 'data/tiered_imagenet', 351),
}
BACKBONES = {'conv4': ('Conv4', 'Conv4NoPool'), 'resnet12': ('ResNet12', )}
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]


def config_id(path: Path) -> str:
    return str(path.relative_to(CONFIG_ROOT))


def name_fields(path: Path) -> Dict[str, Optional[str]]:
    match = NAME_PATTERN.fullmatch(path.name)
    assert match, f'{config_id(path)} does not follow the naming convention'
    return match.groupdict()


_CONFIGS: Dict[Path, Config] = {}


def load(path: Path) -> Config:
    """The loaded config, read once per session."""
    if path not in _CONFIGS:
        _CONFIGS[path] = load_config(str(path))
    return _CONFIGS[path]


BENCHMARK_CONFIGS = [
    path for path in LEAF_CONFIGS if name_fields(path)['dataset'] in BENCHMARKS
]


def expected_classifier(path: Path) -> str:
    return METHODS[path.parts[-3]]


def dataset_chain(dataset_cfg: dict) -> List[dict]:
    """A dataset config and the configs it wraps, outermost first."""
    chain = []
    while dataset_cfg is not None:
        chain.append(dataset_cfg)
        dataset_cfg = dataset_cfg.get('dataset')
    return chain


def is_episodic(cfg: Config) -> bool:
    return cfg.train_dataloader.dataset.type == 'EpisodicDataset'


def image_size(cfg: Config, loader: str) -> int:
    """The side of the images a dataloader gives: the last size-setting
    transform of its pipeline."""
    size = None
    for step in dataset_chain(cfg[loader].dataset)[-1].pipeline:
        if step.type == 'RandomResizedCrop':
            size = step.scale
        elif step.type == 'CenterCrop':
            size = step.crop_size
        elif step.type == 'Resize':
            size = step.scale
    assert isinstance(size, int), f'{loader}: no square size in the pipeline'
    return size


def data_preprocessor(cfg: Config) -> dict:
    """The preprocessor config the runner gives the model."""
    return cfg.model.get('data_preprocessor') or cfg.data_preprocessor


# -- names and coverage -------------------------------------------------------
def test_zoo_has_every_method_benchmark_backbone_and_meta_test():
    method_dirs = {
        path.name
        for path in CONFIG_ROOT.iterdir()
        if path.is_dir() and path.name != '_base_'
    }
    assert method_dirs == set(METHODS)
    full_grid = {(dataset, backbone, shots)
                 for dataset in BENCHMARKS
                 for backbone in BACKBONES
                 for shots in ('1', '5')}
    for method in METHODS:
        assert (CONFIG_ROOT / method / 'README.md').is_file(), method
        grid = [(fields['dataset'], fields['backbone'], fields['num_shots'])
                for fields in map(name_fields, BENCHMARK_CONFIGS)
                if fields['algorithm'] == method.replace('_', '-')]
        assert len(grid) == 12 and set(grid) == full_grid, method
    assert len(BENCHMARK_CONFIGS) == 8 * 12


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=config_id)
def test_config_name_matches_its_place(path):
    fields = name_fields(path)
    method, dataset_dir = path.parts[-3], path.parts[-2]
    assert fields['algorithm'] == method.replace('_', '-')
    assert fields['dataset'] == dataset_dir.replace('_', '-')
    assert fields['gpus'] == '1'


# -- registered types ---------------------------------------------------------
def as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def dataloader_types(cfg: Config,
                     key: str) -> Iterator[Tuple[Registry, str, str]]:
    loader = cfg[key]
    for depth, dataset in enumerate(dataset_chain(loader.dataset), 1):
        where = key + '.dataset' * depth
        yield DATASETS, dataset.type, where
        for index, step in enumerate(dataset.get('pipeline', [])):
            yield TRANSFORMS, step.type, f'{where}.pipeline[{index}]'
    yield DATA_SAMPLERS, loader.sampler.type, f'{key}.sampler'
    if 'collate_fn' in loader:
        # collate functions live in mmengine's root registry
        yield FUNCTIONS, loader.collate_fn.type, f'{key}.collate_fn'


def init_cfg_types(node: Any,
                   where: str) -> Iterator[Tuple[Registry, str, str]]:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == 'init_cfg' and value is not None:
            for init in as_list(value):
                yield WEIGHT_INITIALIZERS, init.type, f'{where}.init_cfg'
        else:
            yield from init_cfg_types(value, f'{where}.{key}')


def config_types(cfg: Config) -> Iterator[Tuple[Registry, str, str]]:
    """Every ``type`` the runner builds, with its registry and place."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        yield from dataloader_types(cfg, key)
    for key in ('train_cfg', 'val_cfg', 'test_cfg'):
        yield LOOPS, cfg[key].type, key
    for key in ('val_evaluator', 'test_evaluator'):
        for index, metric in enumerate(as_list(cfg[key])):
            yield METRICS, metric.type, f'{key}[{index}]'
    for name, hook in cfg.default_hooks.items():
        yield HOOKS, hook.type, f'default_hooks.{name}'
    for index, hook in enumerate(cfg.get('custom_hooks', [])):
        yield HOOKS, hook.type, f'custom_hooks[{index}]'
    for index, scheduler in enumerate(as_list(cfg.param_scheduler)):
        yield PARAM_SCHEDULERS, scheduler.type, f'param_scheduler[{index}]'
    # the runner's default wrapper when the config names none
    yield OPTIM_WRAPPERS, cfg.optim_wrapper.get('type', 'OptimWrapper'), \
        'optim_wrapper'
    yield OPTIMIZERS, cfg.optim_wrapper.optimizer.type, \
        'optim_wrapper.optimizer'
    yield VISUALIZERS, cfg.visualizer.type, 'visualizer'
    for index, backend in enumerate(cfg.visualizer.vis_backends):
        yield VISBACKENDS, backend.type, f'visualizer.vis_backends[{index}]'
    yield MODELS, cfg.model.type, 'model'
    yield MODELS, data_preprocessor(cfg).type, 'data_preprocessor'
    yield from init_cfg_types(cfg.model, 'model')


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=config_id)
def test_config_types_are_registered(path):
    cfg = load(path)
    found = list(config_types(cfg))
    missing = [
        f'{where}: {type_name!r} (registry {registry.name!r})'
        for registry, type_name, where in found
        if registry.get(type_name) is None
    ]
    assert not missing, f'unregistered types in {config_id(path)}: {missing}'
    # the walk reached every part of the config
    assert {registry.name
            for registry, _, _ in found} >= {
                'dataset', 'transform', 'data sampler', 'loop', 'metric',
                'hook', 'parameter scheduler', 'optim_wrapper', 'optimizer',
                'visualizer', 'vis_backend', 'model'
            }
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        pipeline = dataset_chain(cfg[key].dataset)[-1].pipeline
        assert pipeline[0].type in ('LoadImageFromFile', 'LoadImageFromBytes')
        assert pipeline[-1].type == 'PackInputs'


# -- model --------------------------------------------------------------------
_MODELS: Dict[str, Tuple[BaseFewShotClassifier, torch.Tensor]] = {}


def build_on_meta(cfg: Config, size: int):
    """The model of a config and its features of two images of ``size``,
    built on the meta device (no weights are allocated); configs with the
    same model config share one build."""
    key = json.dumps(cfg.model.to_dict(), sort_keys=True) + str(size)
    if key not in _MODELS:
        with torch.device('meta'):
            model = MODELS.build(copy.deepcopy(cfg.model))
            feats = model.extract_feat(torch.empty(2, 3, size, size))
        _MODELS[key] = model, feats
    return _MODELS[key]


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=config_id)
def test_model_builds_and_head_takes_backbone_features(path):
    cfg = load(path)
    fields = name_fields(path)
    size = image_size(cfg, 'train_dataloader')
    assert image_size(cfg, 'test_dataloader') == size
    model, feats = build_on_meta(cfg, size)
    assert isinstance(model, BaseFewShotClassifier)
    assert type(model).__name__ == expected_classifier(path)
    assert cfg.model.backbone.type in BACKBONES[fields['backbone']]

    head = model.head
    if isinstance(head, RelationHead):
        assert tuple(feats.shape[1:]) == (head.in_channels, *head.feature_size)
    else:
        assert feats.dim() == 2
    if isinstance(head, BaseFinetuneHead):
        assert head.in_channels == feats.shape[1]
    if type(model).__name__ in FINETUNE_METHODS:
        assert cfg.model.meta_test_head.num_classes == 5
        assert cfg.model.meta_test_head.in_channels == feats.shape[1]
    if type(model).__name__ == 'MAML':
        assert head.num_classes == cfg.train_dataloader.dataset.num_ways
        assert (model.num_inner_steps, model.num_inner_steps_test,
                model.inner_lr) == (2, 5, 0.01)
        assert model.first_order is False
        # BatchNorm always normalises with the statistics of its batch
        norms = [
            module for module in model.modules()
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
        ]
        assert norms and not any(norm.track_running_stats for norm in norms)


# -- data ---------------------------------------------------------------------
@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=config_id)
def test_training_and_meta_test_data_match_the_name(path):
    cfg = load(path)
    fields = name_fields(path)
    loader = cfg.train_dataloader
    if is_episodic(cfg):
        episode = loader.dataset
        images = loader.batch_size * episode.num_ways * (
            episode.num_shots + episode.num_queries)
        assert loader.collate_fn.type == 'multi_pipeline_collate_fn'
        assert loader.sampler.type in ('InfiniteSampler',
                                       'DistributedInfiniteSampler')
        assert cfg.train_cfg.type == 'IterBasedTrainLoop'
        assert cfg.default_hooks.checkpoint.by_epoch is False
        assert cfg.log_processor.by_epoch is False
    else:
        images = loader.batch_size
        assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
        assert cfg.default_hooks.checkpoint.by_epoch is True
    assert images == int(fields['batch'])
    assert dataset_chain(loader.dataset)[-1].subset == 'train'

    for key in ('val_dataloader', 'test_dataloader'):
        meta_test, dataset = dataset_chain(cfg[key].dataset)
        assert meta_test.type == 'MetaTestDataset'
        assert (meta_test.num_ways,
                meta_test.num_shots) == (int(fields['num_ways']),
                                         int(fields['num_shots']))
        assert isinstance(meta_test.episodes_seed, int)
        assert dataset.subset == key.split('_')[0]
        assert cfg[key].sampler == dict(type='DefaultSampler', shuffle=False)
    assert cfg.val_cfg.type == 'MetaValLoop'
    assert cfg.test_cfg.type == 'MetaTestLoop'
    checkpoint = cfg.default_hooks.checkpoint
    assert (checkpoint.save_best, checkpoint.rule) == ('accuracy_mean',
                                                       'greater')
    assert checkpoint.interval == cfg.train_cfg.val_interval


@pytest.mark.parametrize('path', BENCHMARK_CONFIGS, ids=config_id)
def test_benchmark_protocol(path):
    """84x84 ImageNet-normalised images of the benchmark's splits; meta
    validation on 100 and meta test on 2000 fixed 15-query episodes."""
    cfg = load(path)
    fields = name_fields(path)
    dataset_type, data_root, num_base_classes = BENCHMARKS[fields['dataset']]
    assert image_size(cfg, 'train_dataloader') == 84
    preprocessor = data_preprocessor(cfg)
    assert (preprocessor.mean, preprocessor.std,
            preprocessor.to_rgb) == (IMAGENET_MEAN, IMAGENET_STD, True)
    for key, num_episodes in (('train_dataloader', None),
                              ('val_dataloader', 100), ('test_dataloader',
                                                        2000)):
        chain = dataset_chain(cfg[key].dataset)
        assert (chain[-1].type, chain[-1].data_prefix) == (dataset_type,
                                                           data_root)
        if num_episodes is not None:
            assert (chain[0].num_episodes, chain[0].num_queries,
                    chain[0].num_ways) == (num_episodes, 15, 5)
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == \
        'EpisodicAccuracy'
    if expected_classifier(path) in FINETUNE_METHODS:
        # the original's cosine heads on miniImageNet: 100 outputs for the
        # 64 base classes
        expected = 100 if fields['dataset'] == 'mini-imagenet' and \
            expected_classifier(path) in ('BaselinePlus', 'NegMargin') \
            else num_base_classes
        assert cfg.model.head.num_classes == expected


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=config_id)
def test_meta_test_fits_the_method(path):
    cfg = load(path)
    classifier = expected_classifier(path)
    for key in ('val_cfg', 'test_cfg'):
        meta_test_cfg = cfg[key].meta_test_cfg
        # cached features need a backbone that tasks do not adapt (not MAML)
        if meta_test_cfg.fast_test:
            assert MODELS.get(classifier).supports_fast_test
        assert classifier != 'MAML' or meta_test_cfg.fast_test is False
        if classifier == 'RelationNet' and meta_test_cfg.fast_test:
            # every task scores num_queries x num_ways feature-map pairs
            assert meta_test_cfg.tasks_per_batch <= 10
        finetune = meta_test_cfg.get('support', {}).get('train')
        if classifier in FINETUNE_METHODS:
            num_steps = 150 if name_fields(path)['num_shots'] == '1' else 600
            assert (finetune.num_steps, finetune.batch_size,
                    finetune.optimizer.lr) == (num_steps, 4, 0.01)
        else:
            assert finetune is None


def one_shot_sibling(path: Path) -> Path:
    """The 1-shot config of the same method, backbone and dataset."""
    fields = name_fields(path)
    for other in LEAF_CONFIGS:
        other_fields = name_fields(other)
        if other.parent == path.parent and other_fields['num_shots'] == '1' \
                and all(other_fields[key] == fields[key]
                        for key in ('algorithm', 'setting', 'backbone')):
            return other
    raise LookupError(f'{config_id(path)} has no 1-shot counterpart')


FIVE_SHOT_CONFIGS = [
    path for path in LEAF_CONFIGS if name_fields(path)['num_shots'] == '5'
]


@pytest.mark.parametrize('path', FIVE_SHOT_CONFIGS, ids=config_id)
def test_five_shot_config_differs_from_one_shot_in_shots_only(path):
    """The 5-shot meta test; and where the original differs: longer
    fine-tuning, Meta-Baseline's Baseline checkpoint and tieredImageNet
    Baseline++'s schedule (see test_reference_configs.py)."""
    five_shot, one_shot = load(path), load(one_shot_sibling(path))
    fields = name_fields(path)
    model = copy.deepcopy(five_shot.model)
    if fields['algorithm'] == 'meta-baseline':
        model.backbone.init_cfg.checkpoint = model.backbone.init_cfg \
            .checkpoint.replace('5way-5shot', '5way-1shot')
    assert model == one_shot.model
    if (fields['algorithm'], fields['dataset']) != ('baseline-plus',
                                                    'tiered-imagenet'):
        assert five_shot.optim_wrapper == one_shot.optim_wrapper
        assert five_shot.train_cfg == one_shot.train_cfg
        assert five_shot.param_scheduler == one_shot.param_scheduler
    for key in ('val_dataloader', 'test_dataloader'):
        assert one_shot[key].dataset.num_shots == 1
        assert five_shot[key].dataset.num_shots == 5
    assert five_shot.train_dataloader == one_shot.train_dataloader


META_STAGE_CONFIGS = [
    path for path in LEAF_CONFIGS if path.parts[-3] == 'meta_baseline'
]


@pytest.mark.parametrize('path', META_STAGE_CONFIGS, ids=config_id)
def test_meta_baseline_starts_from_the_best_baseline_checkpoint(path):
    cfg = load(path)
    fields = name_fields(path)
    baseline_name = (f"baseline_{fields['backbone']}_1xb64_"
                     f"{fields['dataset']}_5way-{fields['num_shots']}shot")
    baseline = load(CONFIG_ROOT / 'baseline' / path.parent.name /
                    f'{baseline_name}.py')
    assert baseline.model.backbone.type == cfg.model.backbone.type
    # the checkpoint hook keeps one best checkpoint per work dir, named
    # best_accuracy_mean_epoch_<n>.pth
    assert baseline.default_hooks.checkpoint.save_best == 'accuracy_mean'
    init_cfg = cfg.model.backbone.init_cfg
    assert (init_cfg.type, init_cfg.prefix) == ('PretrainedMatch', 'backbone.')
    assert init_cfg.checkpoint == \
        f'work_dirs/{baseline_name}/best_accuracy_mean_*.pth'


# -- one training step per method ---------------------------------------------
def random_sample(size: int, label: int, generator: torch.Generator) -> dict:
    """A sample as ``PackInputs`` gives it: a uint8 image and its label."""
    image = torch.randint(
        0, 256, (3, size, size), dtype=torch.uint8, generator=generator)
    return dict(inputs=image, data_samples=DataSample().set_gt_label(label))


# queries per class of the random episodes: fewer than in the configs, to
# keep the test fast on a CPU
NUM_QUERIES = 2


def random_batch(cfg: Config, generator: torch.Generator) -> list:
    """At the config's training image size: one episode with the config's
    ways and shots (and ``NUM_QUERIES`` queries per class), or 4 images of
    random base classes."""
    size = image_size(cfg, 'train_dataloader')
    if is_episodic(cfg):
        episode = cfg.train_dataloader.dataset
        return [
            dict(
                support_data=[
                    random_sample(size, way, generator)
                    for way in range(episode.num_ways)
                    for _ in range(episode.num_shots)
                ],
                query_data=[
                    random_sample(size, way, generator)
                    for way in range(episode.num_ways)
                    for _ in range(NUM_QUERIES)
                ])
        ]
    labels = torch.randint(
        0, cfg.model.head.num_classes, (4, ), generator=generator)
    return [random_sample(size, int(label), generator) for label in labels]


def cub_conv4_config(method: str, setting: Optional[str] = None) -> Path:
    for path in BENCHMARK_CONFIGS:
        fields = name_fields(path)
        if (path.parts[-3], fields['setting'], fields['backbone'],
                fields['dataset'],
                fields['num_shots']) == (method, setting, 'conv4', 'cub', '1'):
            return path
    raise LookupError(f'no conv4 CUB 5-way 1-shot config of {method}')


TRAIN_STEP_CONFIGS = [
    cub_conv4_config(method, 'cosine' if method == 'neg_margin' else None)
    for method in METHODS
]


@pytest.mark.parametrize('path', TRAIN_STEP_CONFIGS, ids=config_id)
def test_training_step_on_a_random_batch(path):
    cfg = load(path)
    torch.manual_seed(0)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', data_preprocessor(cfg))
    if model_cfg.type == 'MAML':
        # one inner step takes the same (second-order) path as five
        model_cfg.num_inner_steps = 1
    model = MODELS.build(model_cfg)
    model.train()
    collate_cfg = cfg.train_dataloader.get('collate_fn',
                                           dict(type='pseudo_collate'))
    collate_fn = FUNCTIONS.get(collate_cfg['type'])
    batch = collate_fn(random_batch(cfg, torch.Generator().manual_seed(0)))
    data = model.data_preprocessor(batch, True)

    losses = model(**data, mode='loss')
    loss = losses['loss']
    assert loss.dim() == 0 and torch.isfinite(loss)
    assert 0.0 <= float(losses['accuracy']) <= 1.0
    loss.backward()
    first_conv = next(model.backbone.parameters())
    assert first_conv.grad is not None
    assert float(first_conv.grad.abs().sum()) > 0
