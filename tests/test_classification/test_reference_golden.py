"""Ours against the original toolbox, classifier by classifier.

The fixtures under ``tests/data/reference/classification`` were computed by
the original (OpenMMLab MMFewShot 0.1.0 on mmcv-full 1.7 / mmcls 0.18, run
by ``tools/reference/generate_golden_classification.py``): for each of the
eight classifiers, a model of one of its release configs shrunk to 32 x 32
images, its checkpoint with the original's key names, the loss (and
gradients) of a fixed training batch or episode, and the query
probabilities of a fixed 5-way task. Here the checkpoint goes through our
converter into the model of our config of the same name, shrunk the same
way, and ours must compute the same numbers.

Tolerances (float32 on the CPU; the largest deviations measured are in
``tools/reference/README.md``). ``rtol`` is relative to the original's
value, ``atol`` absolute; an element passes within ``atol + rtol * |x|``:

- query probabilities (MAML's after its adaptation) and training losses:
  1e-4 relative, as the issue asks, plus 1e-6 absolute for probabilities
  near zero; the probabilities' logarithms too (1e-5 absolute), so that
  the differences of the logits are compared even where probabilities
  are close to uniform. Same predicted labels, exactly. The same
  operations in another order (batched heads, folded biases) differ by
  float rounding, a few 1e-6 at most;
- features: 1e-4 relative plus 1e-5 absolute: ours folds each Conv4
  convolution bias into the running mean of its BatchNorm, which rounds
  differently; on features of magnitude ~4 that is a few float32 steps
  (4e-7 each), also on elements near zero after the ReLU;
- gradients: their norms within 1e-4 relative (plus 1e-6 absolute: the
  gradients that are zero in exact arithmetic, of a convolution bias
  before a BatchNorm in training mode or of the last bias under a
  softmax over the ways, are rounding noise of 1e-8), whole gradients
  within 1e-4 of their norm: the same computation backwards;
- the fine-tune based methods' heads after their 150 (or 600) SGD steps:
  1e-4 relative plus 1e-6 absolute, like the probabilities they give;
  the drift measured over the steps stays below 1e-6.
"""
import copy
import functools
import io
import json
import logging
import re
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmfewshot.classification.apis.original_checkpoint import (
    _FOLDED_BIAS, is_original_checkpoint, load_classifier_checkpoint,
    read_original_checkpoint)
from mmfewshot.classification.registry import MODELS
from mmfewshot.utils import (CheckpointError, load_checkpoint_strict,
                             load_config)
from mmfewshot.utils.original_checkpoint import (UnmappedKeyError,
                                                 convert_original_checkpoint,
                                                 get_original_converter)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / 'tests' / 'data' / 'reference' / 'classification'
METHODS = ('baseline', 'baseline_plus', 'neg_margin', 'matching_net',
           'proto_net', 'relation_net', 'meta_baseline', 'maml')
FINETUNE_METHODS = ('baseline', 'baseline_plus', 'neg_margin')
RTOL = 1e-4
ATOL = 1e-6
#: features of magnitude ~4 round differently with folded biases
FEATURE_ATOL = 1e-5


def load(name: str) -> dict:
    """A fixture; a method's with its checkpoint, a file as the original's
    training writes them (mmcv 1.x), read as the tools read it."""
    fixture = torch.load(FIXTURES / f'{name}.pth', weights_only=True)
    if 'checkpoint' in fixture:
        fixture['checkpoint_file'] = FIXTURES / fixture['checkpoint']
        fixture['checkpoint'] = read_original_checkpoint(
            str(fixture['checkpoint_file']))
    return fixture


@functools.lru_cache(maxsize=None)
def our_config(path: str):
    return load_config(str(ROOT / path))


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """These models are tiny: on a busy 2-core machine, waking a second
    thread for every small operation makes the 600 fine-tuning steps ten
    times slower than one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def inputs() -> Dict[str, torch.Tensor]:
    """The fixed images (float16 values, computed with in float32) and
    labels."""
    return {
        key: value.float() if value.is_floating_point() else value
        for key, value in load('inputs')['inputs'].items()
    }


@pytest.fixture(scope='module', params=METHODS)
def golden(request) -> dict:
    return load(request.param)


def close(ours: torch.Tensor,
          original: torch.Tensor,
          what: str,
          rtol: float = RTOL,
          atol: float = ATOL) -> None:
    torch.testing.assert_close(
        ours.detach().float(),
        original.float(),
        rtol=rtol,
        atol=atol,
        msg=lambda message: f'{what}: {message}')


def shrunk_model_cfg(golden: dict) -> dict:
    """The model of our config of the same name, shrunk as the generator
    shrank the original's (32 x 32 images, narrow ResNet12)."""
    cfg = our_config(golden['config'])
    model = copy.deepcopy(cfg.model)
    changes = golden['shrink']
    if 'resnet12_channels' in changes:
        assert model.backbone.type == 'ResNet12'
        model.backbone.channels = tuple(changes['resnet12_channels'])
    for key in ('head', 'meta_test_head'):
        head = model.get(key)
        if head is None:
            continue
        if 'relation_feature_size' in changes and \
                head.type == 'RelationHead':
            head.feature_size = tuple(changes['relation_feature_size'])
        elif 'feat_dim' in changes and 'in_channels' in head:
            head.in_channels = changes['feat_dim']
    return dict(
        model=model, meta_test_cfg=copy.deepcopy(cfg.test_cfg.meta_test_cfg))


def build_ours(golden: dict) -> tuple:
    built = shrunk_model_cfg(golden)
    assert built['model'].type == golden['model_type']
    with DefaultScope.overwrite_default_scope('mmfewshot_cls'):
        model = MODELS.build(built['model'])
    converted = convert_original_checkpoint(golden['checkpoint'],
                                            golden['method'])
    model.load_state_dict(converted['state_dict'])  # strict
    return model, dict(built['meta_test_cfg']), converted


def samples(labels: torch.Tensor) -> List[DataSample]:
    return [DataSample().set_gt_label(int(label)) for label in labels]


def our_name(method: str, original: str) -> Optional[str]:
    """Our name of an original parameter, as the converter renames it
    (None for what ours does not have: dropped keys, folded biases)."""
    converter = get_original_converter(method)
    rule = next(
        rule for rule in converter.rules if re.match(rule.pattern, original))
    if rule.replacement is None:
        return None
    name = re.sub(rule.pattern, rule.replacement, original, count=1)
    return None if name.endswith(_FOLDED_BIAS) else name


# ---------------------------------------------------------------- converter
def test_fixtures_are_original_checkpoints(golden):
    checkpoint = golden['checkpoint']
    assert is_original_checkpoint(checkpoint)
    assert 'device_indicator' in checkpoint['state_dict']
    meta = checkpoint['meta']
    assert meta['mmcv_version'].startswith('1.')
    assert len(meta['CLASSES']) == 100
    # mmengine's loader cannot read what mmcv 1.x pickled into the meta
    with pytest.raises(CheckpointError, match='cannot be read'):
        load_checkpoint_strict(
            torch.nn.Linear(1, 1), str(golden['checkpoint_file']))


def test_converter_claims_every_key_and_keeps_the_classes(golden):
    model, _, converted = build_ours(golden)
    assert converted['meta']['dataset_meta']['classes'] == tuple(
        golden['checkpoint']['meta']['CLASSES'])
    assert set(converted['state_dict']) == set(model.state_dict())
    converter = get_original_converter(golden['method'])
    dropped = converter.dropped(golden['checkpoint']['state_dict'])
    assert 'device_indicator' in dropped
    if golden['method'] == 'maml':
        # batch statistics only: no running statistics survive
        assert any(key.endswith('running_mean') for key in dropped)
    else:
        assert set(dropped) == {'device_indicator'}


def test_conv4_bias_is_folded_into_the_running_mean():
    golden = load('proto_net')
    original = golden['checkpoint']['state_dict']
    converted = convert_original_checkpoint(golden['checkpoint'],
                                            'proto_net')['state_dict']
    # block 1 of Conv4: conv at index 4, its BatchNorm at 5
    torch.testing.assert_close(
        converted['backbone.layers.5.running_mean'],
        original['backbone.layers.1.layers.1.running_mean'] -
        original['backbone.layers.1.layers.0.bias'])
    assert 'backbone.layers.4.bias' not in converted


def test_an_unknown_key_is_an_error_naming_it():
    golden = load('meta_baseline')
    checkpoint = copy.deepcopy(golden['checkpoint'])
    checkpoint['state_dict']['head.extra.weight'] = torch.zeros(1)
    with pytest.raises(UnmappedKeyError, match=r'head\.extra\.weight'):
        convert_original_checkpoint(checkpoint, 'meta_baseline')


def test_every_method_is_registered_under_both_names():
    for method, classifier in (('baseline', 'Baseline'), ('baseline_plus',
                                                          'BaselinePlus'),
                               ('neg_margin', 'NegMargin'), ('matching_net',
                                                             'MatchingNet'),
                               ('proto_net', 'ProtoNet'), ('relation_net',
                                                           'RelationNet'),
                               ('meta_baseline', 'MetaBaseline'), ('maml',
                                                                   'MAML')):
        assert get_original_converter(method) is get_original_converter(
            classifier)


# -------------------------------------------------------------- train loss
def test_training_loss_and_gradients_equal_the_original(golden, inputs):
    method = golden['method']
    model, _, _ = build_ours(golden)
    model.train()
    expected = golden['outputs']['train']
    if method in FINETUNE_METHODS:
        losses = model.loss(
            inputs=inputs['train_imgs'],
            data_samples=samples(inputs['train_labels']))
    else:
        support_imgs = inputs['episode_support_imgs']
        support_labels = inputs['episode_support_labels']
        query_imgs = inputs['episode_query_imgs']
        query_labels = inputs['episode_query_labels']
        if method == 'maml':
            # the original numbered the classes in a shuffled order; ours
            # takes them class-major, so sort the samples by that number
            order = expected['maml_class_order'].tolist()
            relabel = torch.tensor([order.index(c) for c in range(5)])
            support_labels = relabel[support_labels]
            query_labels = relabel[query_labels]
            support_sort = support_labels.argsort(stable=True)
            query_sort = query_labels.argsort(stable=True)
            support_imgs = support_imgs[support_sort]
            support_labels = support_labels[support_sort]
            query_imgs = query_imgs[query_sort]
            query_labels = query_labels[query_sort]
        losses = model.loss(
            support_data=dict(
                inputs=support_imgs, data_samples=samples(support_labels)),
            query_data=dict(
                inputs=query_imgs, data_samples=samples(query_labels)))
    close(losses['loss'], expected['loss'], f'{method} training loss')
    losses['loss'].backward()
    params = dict(model.named_parameters())
    compared = 0
    for original, norm in expected['grad_norms'].items():
        name = our_name(method, original)
        if name is None:
            continue
        grad = params[name].grad
        close(grad.norm(), norm, f'{method} gradient norm of {name}')
        if original in expected['grads']:
            # relative to the gradient's norm: an element much smaller than
            # the others carries the rounding of the others
            difference = grad - expected['grads'][original].reshape(grad.shape)
            assert difference.norm() <= RTOL * norm + ATOL, \
                f'{method} gradient of {name}: {difference.norm() / norm}'
        compared += 1
    assert compared >= 8


# --------------------------------------------------------------- meta test
def finetune_state(method: str, head_state: Dict[str, torch.Tensor],
                   with_grad: bool) -> Dict[str, torch.Tensor]:
    """An original meta-test head's weights as a task state of ours."""
    converter = get_original_converter(method)
    renamed = converter.convert({
        f'head.{name}': value
        for name, value in head_state.items()
    })
    state = {}
    for name, value in renamed.items():
        key = name[len('head.'):].replace('fc.', '')
        value = value.unsqueeze(0).clone()
        state[key] = value.requires_grad_(True) if with_grad else value
    return state


def fix_task_randomness(model, golden: dict) -> None:
    """Give ours the original's initial head and support batch order."""
    method = golden['method']
    outputs = golden['outputs']['meta_test']
    head = model.meta_test_head
    order = outputs['support_batch_order'].split(
        outputs['support_batch_sizes'].tolist())
    support_cfg = golden['meta_test_cfg']['support']
    assert head.finetune_cfg['num_steps'] == support_cfg['train'][
        'num_steps'] == len(order)
    assert head.finetune_cfg['batch_size'] == support_cfg['batch_size']
    assert head.finetune_cfg['drop_last'] == support_cfg.get(
        'drop_last', False)
    assert head.finetune_cfg['optimizer'] == support_cfg['train']['optimizer']

    def init_task_state(num_ways, generators, device):
        return finetune_state(method, outputs['initial_head'], True)

    def batch_indices(generators, num_support, num_steps, batch_size,
                      drop_last):
        assert num_steps == len(order)
        assert batch_size == support_cfg['batch_size']
        return [indices[None] for indices in order]

    head.init_task_state = init_task_state
    head._batch_indices = batch_indices


def task(inputs: dict, num_shots: int) -> Dict[str, torch.Tensor]:
    keep = torch.arange(25) % 5 < num_shots
    return dict(
        support_imgs=inputs['task_support_imgs'][keep],
        support_labels=inputs['task_support_labels'][keep],
        query_imgs=inputs['task_query_imgs'])


@torch.no_grad()
def test_query_scores_equal_the_original(golden, inputs):
    method = golden['method']
    model, meta_test_cfg, _ = build_ours(golden)
    model.eval()
    outputs = golden['outputs']['meta_test']
    data = task(inputs, golden['num_shots'])
    assert bool(meta_test_cfg.get('fast_test')) == \
        bool(golden['meta_test_cfg'].get('fast_test'))
    if method == 'maml':
        assert model.num_inner_steps == 2
        assert model.num_inner_steps_test == \
            golden['meta_test_cfg']['support']['num_inner_steps']
        model.before_meta_test(meta_test_cfg)
        model.before_forward_support(task_seed=0)
        model(
            data['support_imgs'],
            samples(data['support_labels']),
            mode='support')
        model.before_forward_query()
        results = model(data['query_imgs'], mode='query')
    else:
        support = model.extract_feat(data['support_imgs'])
        query = model.extract_feat(data['query_imgs'])
        close(
            support,
            outputs['support_feats'],
            f'{method} support features',
            atol=FEATURE_ATOL)
        close(
            query,
            outputs['query_feats'],
            f'{method} query features',
            atol=FEATURE_ATOL)
        model.before_meta_test(meta_test_cfg)
        if method in FINETUNE_METHODS:
            fix_task_randomness(model, golden)
        model.before_forward_support(task_seed=0)
        model(
            feats=support,
            data_samples=samples(data['support_labels']),
            mode='support')
        model.before_forward_query()
        if method in FINETUNE_METHODS:
            finetuned = finetune_state(method, outputs['finetuned_head'],
                                       False)
            for key, value in finetuned.items():
                close(model._task_state[key], value,
                      f'{method} fine-tuned head {key}')
        results = model(feats=query, mode='query')
    probs = torch.stack([sample.pred_score for sample in results])
    expected = outputs['query_probs']
    close(probs, expected, f'{method} query probabilities')
    # in the log domain too: the differences of the logits, also where the
    # probabilities are close to uniform
    close(
        probs.log(),
        expected.log(),
        f'{method} query log-probabilities',
        atol=1e-5)
    assert torch.equal(probs.argmax(-1), expected.argmax(-1))


# ----------------------------------------------- loading at test/inference
def test_init_classifier_converts_an_original_checkpoint_on_the_fly():
    from mmfewshot.classification.apis import init_classifier
    golden = load('meta_baseline')
    original = golden['checkpoint_file']
    built = shrunk_model_cfg(golden)
    cfg = load_config(str(ROOT / golden['config']))
    cfg.model = built['model']
    logger = MMLogger.get_current_instance()
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logger.addHandler(handler)
    try:
        model = init_classifier(cfg, str(original), device='cpu')
    finally:
        logger.removeHandler(handler)
    assert f'{original} is a checkpoint of the original toolbox: converted ' \
        'on the fly as meta_baseline' in log.getvalue()
    expected = convert_original_checkpoint(golden['checkpoint'],
                                           'meta_baseline')['state_dict']
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[name])


def test_an_original_checkpoint_of_another_method_names_the_method():
    golden = load('proto_net')
    relation = load('relation_net')
    model, _, _ = build_ours(relation)
    original = str(golden['checkpoint_file'])
    with pytest.raises(
            Exception,
            match='converted as relation_net, does '
            'not fit RelationNet'):
        load_classifier_checkpoint(model, str(original))


def test_test_tool_runs_an_original_checkpoint_as_its_conversion(tmp_path):
    """tools/classification/test.py with an original checkpoint: converted
    on the fly (and said in the log), the same accuracy as the checkpoint
    converted by the converter."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'make_toy_dataset',
        ROOT / 'tools/data/classification/make_toy_dataset.py')
    make_toy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_toy)
    spec = importlib.util.spec_from_file_location(
        'test_tool', ROOT / 'tools/classification/test.py')
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)

    root = tmp_path / 'toy'
    make_toy.make_toy_dataset(str(root), 25, 8, 32, seed=0, max_fonts=2)
    config = str(ROOT / 'configs/classification/proto_net/toy/'
                 'proto-net_conv4_1xb25_toy_5way-1shot.py')
    options = [
        f'test_dataloader.dataset.dataset.data_prefix={root}',
        f'test_dataloader.dataset.dataset.classes={root}/test_classes.txt',
        'test_dataloader.dataset.num_episodes=4',
        'test_dataloader.dataset.num_queries=3'
    ]
    # the original's ProtoNet has no head weights: its Conv4 fits the toy
    # config's model whatever the image size
    golden = load('proto_net')
    original = golden['checkpoint_file']
    converted = tmp_path / 'proto_net_converted.pth'
    torch.save(
        convert_original_checkpoint(golden['checkpoint'], 'proto_net'),
        converted)
    results = {}
    for name, checkpoint in (('original', original), ('converted', converted)):
        work_dir = tmp_path / f'work_{name}'
        out = tmp_path / f'{name}.json'
        test_tool.main([
            config,
            str(checkpoint), '--work-dir',
            str(work_dir), '--out',
            str(out), '--cfg-options'
        ] + options)
        results[name] = json.loads(out.read_text())
        logs = ''.join(path.read_text() for path in work_dir.glob('*/*.log'))
        said = f'{original} is a checkpoint of the original toolbox' in logs
        assert said == (name == 'original'), logs[-2000:]
        if said:
            assert 'to convert it once: python tools/model_converters/' \
                'convert_original_checkpoint.py' in logs
    assert results['original']['accuracy_mean'] == \
        results['converted']['accuracy_mean']
    assert results['original']['num_tasks'] == 4


def test_reading_an_original_checkpoint_keeps_the_allowed_globals(tmp_path):
    """The legacy globals are allowed only while an original checkpoint is
    read: the allow-list that our own checkpoints need stays as it was,
    also after a file that cannot be read."""
    before = set(torch.serialization.get_safe_globals())
    read_original_checkpoint(str(FIXTURES / 'maml_checkpoint.pth'))
    damaged = tmp_path / 'damaged.pth'
    damaged.write_bytes(b'not a checkpoint')
    with pytest.raises(CheckpointError, match='truncated or damaged'):
        read_original_checkpoint(str(damaged))
    assert set(torch.serialization.get_safe_globals()) == before
