"""Golden outputs of the original toolbox's eight few-shot classifiers.

Runs in the reference environment (OpenMMLab MMFewShot 0.1.0 on mmcv-full
1.7, mmcls 0.18; see ``tools/reference/build_reference_env.sh``), never in
ours. For every classifier it builds the model of one of the original's
release configs (read from a checkout of open-mmlab/mmfewshot at tag
v0.1.0), shrunk to 32 x 32 images (and ResNet12 to a sixteenth of its
widths), gives it fixed-seed weights, and records with the original's own
code:

- the checkpoint, as the original's training saves it (mmcv 1.x, its key
  names, ``meta['CLASSES']``);
- the training loss (and gradients) of a fixed batch (fine-tune based
  methods) or a fixed episode (the others);
- the query probabilities of a fixed 5-way task, meta-tested by the
  original's ``test_single_task``: fine-tune based methods after their
  per-task fine-tuning with a fixed order of support batches (stored), from
  a stored initial head; MAML after its inner-loop adaptation.

Usage (from the repository root, without it on ``PYTHONPATH``: the
original's package is also called ``mmfewshot``)::

    ~/.cache/mmfewshot/reference-env/bin/python \\
        tools/reference/generate_golden_classification.py \\
        --original-repo PATH/TO/mmfewshot-v0.1.0 \\
        --out tests/data/reference/classification
"""
import argparse
import copy
import os
import os.path as osp
import platform
import sys
import time
from types import SimpleNamespace
from typing import Dict, List

import numpy as np
import torch

#: method -> release config (under configs/classification of the original)
CONFIGS = {
    'baseline': 'baseline/cub/baseline_conv4_1xb64_cub_5way-1shot.py',
    'baseline_plus':
    'baseline_plus/cub/baseline-plus_conv4_1xb64_cub_5way-5shot.py',
    'neg_margin':
    'neg_margin/cub/neg-margin_cosine_conv4_1xb64_cub_5way-1shot.py',
    'matching_net':
    'matching_net/cub/matching-net_resnet12_1xb105_cub_5way-1shot.py',
    'proto_net': 'proto_net/cub/proto-net_conv4_1xb105_cub_5way-5shot.py',
    'relation_net':
    'relation_net/cub/relation-net_conv4_1xb105_cub_5way-1shot.py',
    'meta_baseline':
    'meta_baseline/cub/meta-baseline_resnet12_1xb100_cub_5way-1shot.py',
    'maml': 'maml/cub/maml_conv4_1xb105_cub_5way-1shot.py',
}
FINETUNE_METHODS = ('baseline', 'baseline_plus', 'neg_margin')
#: the release of the original these fixtures are computed by
ORIGINAL_VERSION = '0.1.0'

IMAGE_SIZE = 32
#: the original's ResNet12 widths (64, 160, 320, 640) are divided by this
RESNET12_WIDTH_DIVISOR = 16
#: flat features on 32 x 32 images: Conv4 64 x 2 x 2, ResNet12 640 / 16
FEAT_DIM = {'Conv4': 256, 'ResNet12': 640 // RESNET12_WIDTH_DIVISOR}
#: Conv4NoPool on 32 x 32: 32 -> 30 -> 15 -> 13 -> 6 -> 6 -> 6
RELATION_FEATURE_SIZE = (6, 6)

NUM_WAYS = 5
TASK_SHOTS = 5  # stored; 1-shot configs use the first shot of each class
TASK_QUERIES = 3  # per class
TRAIN_BATCH = 8  # plain batch of the fine-tune based methods
EPISODE_SHOTS = 2
EPISODE_QUERIES = 3
SEED = 0
#: whole gradients of the head are stored up to this size (norms always)
MAX_STORED_GRAD = 30000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--original-repo',
        required=True,
        help='checkout of open-mmlab/mmfewshot at tag v0.1.0 (its configs)')
    parser.add_argument(
        '--out',
        default='tests/data/reference/classification',
        help='folder of the fixtures')
    parser.add_argument(
        '--methods',
        default=','.join(CONFIGS),
        help='comma-separated subset of: ' + ', '.join(CONFIGS))
    return parser.parse_args()


def narrow_resnet12() -> None:
    """Divide the widths the original's ResNet12 asks of ``_make_layer``."""
    from mmfewshot.classification.models.backbones.resnet12 import ResNet12
    make_layer = ResNet12._make_layer

    def narrow(self, block, out_channels, *args, **kwargs):
        return make_layer(self, block, out_channels // RESNET12_WIDTH_DIVISOR,
                          *args, **kwargs)

    ResNet12._make_layer = narrow


def shrink(model_cfg: dict) -> Dict[str, object]:
    """Shrink a release model config to 32 x 32 images in place.

    Returns:
        What was changed, in words the test of ours applies the same way.
    """
    backbone = model_cfg['backbone']['type']
    changes = dict(image_size=IMAGE_SIZE)
    if backbone == 'ResNet12':
        changes['resnet12_channels'] = tuple(width // RESNET12_WIDTH_DIVISOR
                                             for width in (64, 160, 320, 640))
    for key in ('head', 'meta_test_head'):
        head = model_cfg.get(key)
        if head is None:
            continue
        if head['type'] == 'RelationHead':
            head['feature_size'] = RELATION_FEATURE_SIZE
            changes['relation_feature_size'] = RELATION_FEATURE_SIZE
        elif 'in_channels' in head:
            head['in_channels'] = FEAT_DIM[backbone.replace('NoPool', '')]
            changes['feat_dim'] = head['in_channels']
    return changes


def fixed_weights(model: torch.nn.Module, seed: int) -> None:
    """Make every tensor of the model matter: BatchNorm affine parameters
    and running statistics away from their (1, 0, 0, 1) initial values,
    a weight-norm gain away from the norm of its direction, a learnable
    temperature away from its default."""
    generator = torch.Generator().manual_seed(seed)

    def normal(like, std):
        return torch.randn(like.shape, generator=generator) * std

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.weight.copy_(1 + normal(module.weight, 0.1))
                module.bias.copy_(normal(module.bias, 0.1))
                module.running_mean.copy_(normal(module.running_mean, 0.2))
                module.running_var.copy_(
                    0.5 +
                    torch.rand(module.running_var.shape, generator=generator))
                module.num_batches_tracked.fill_(1000)
            if isinstance(module, torch.nn.Linear) and \
                    float(module.weight.std()) < 0.05:
                # RelationNet's relation module starts as N(0, 0.01^2):
                # its scores would hardly differ between classes
                module.weight.copy_(
                    normal(module.weight, module.in_features**-0.5))
        for name, param in model.named_parameters():
            if name.endswith('weight_g'):
                param.mul_(1 +
                           0.3 * torch.rand(param.shape, generator=generator))
            elif name == 'head.temperature':
                param.fill_(7.5)


def make_inputs() -> Dict[str, torch.Tensor]:
    """Images (already normalised) and labels, in float16: both sides
    compute in float32 from these values.

    The images of a class of the task and of the episode are noisy copies
    of one random picture, so that the classes are told apart and the
    scores are far from uniform.
    """
    generator = torch.Generator().manual_seed(SEED)

    def noise(count):
        return torch.randn(
            count, 3, IMAGE_SIZE, IMAGE_SIZE, generator=generator)

    def class_major(num_per_class):
        return torch.arange(NUM_WAYS).repeat_interleave(num_per_class)

    def of_classes(pictures, num_per_class):
        copies = pictures.repeat_interleave(num_per_class, dim=0)
        return (copies + 0.7 * noise(len(copies))).half()

    task, episode = noise(NUM_WAYS), noise(NUM_WAYS)
    return dict(
        task_support_imgs=of_classes(task, TASK_SHOTS),
        task_support_labels=class_major(TASK_SHOTS),
        task_query_imgs=of_classes(task, TASK_QUERIES),
        task_query_labels=class_major(TASK_QUERIES),
        train_imgs=noise(TRAIN_BATCH).half(),
        train_labels=torch.randint(
            0, 100, (TRAIN_BATCH, ), generator=generator),
        episode_support_imgs=of_classes(episode, EPISODE_SHOTS),
        episode_support_labels=class_major(EPISODE_SHOTS),
        episode_query_imgs=of_classes(episode, EPISODE_QUERIES),
        episode_query_labels=class_major(EPISODE_QUERIES),
    )


def as_float(inputs: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    return {
        key: value.float() if value.is_floating_point() else value
        for key, value in inputs.items()
    }


class FixedLoader:
    """What ``test_single_task`` needs of a dataloader: batches in a fixed
    order and the task's class ids."""

    def __init__(self, batches: List[dict], class_ids: List[int]) -> None:
        self.batches = batches
        self.dataset = SimpleNamespace(get_task_class_ids=lambda: class_ids)

    def __iter__(self):
        return iter(self.batches)


def support_batch_order(num_support: int, batch_size: int, num_steps: int,
                        drop_last: bool, seed: int) -> List[torch.Tensor]:
    """The support indices of every fine-tuning step, as a shuffling
    dataloader serves them: a new permutation per pass, cut into batches,
    the last smaller one skipped with ``drop_last`` (else served)."""
    rng = np.random.RandomState(seed)
    batches = []
    while len(batches) < num_steps:
        order = rng.permutation(num_support)
        for start in range(0, num_support, batch_size):
            batch = order[start:start + batch_size]
            if drop_last and len(batch) < batch_size:
                continue
            batches.append(batch)
    return [torch.as_tensor(batch) for batch in batches[:num_steps]]


def task_split(inputs: dict, num_shots: int) -> Dict[str, torch.Tensor]:
    keep = torch.arange(NUM_WAYS * TASK_SHOTS) % TASK_SHOTS < num_shots
    return dict(
        support_imgs=inputs['task_support_imgs'][keep],
        support_labels=inputs['task_support_labels'][keep],
        query_imgs=inputs['task_query_imgs'],
        query_labels=inputs['task_query_labels'])


def record_heads() -> Dict[str, dict]:
    """Record the meta-test head when a task starts and when its support
    set is done (the fine-tuned weights), around the original's hooks."""
    from mmfewshot.classification.utils import MetaTestParallel
    records: Dict[str, dict] = {}

    def wrap(name):
        hook = getattr(MetaTestParallel, name)

        def wrapped(self, *args, **kwargs):
            if name == 'before_forward_query':
                snapshot(self, 'finetuned_head')
            result = hook(self, *args, **kwargs)
            if name == 'before_forward_support':
                snapshot(self, 'initial_head')
            return result

        setattr(MetaTestParallel, name, wrapped)

    def snapshot(parallel, key):
        head = getattr(parallel.module, 'meta_test_head', None)
        if head is not None:
            records[key] = {
                name: value.detach().clone()
                for name, value in head.state_dict().items()
            }

    wrap('before_forward_support')
    wrap('before_forward_query')
    return records


def train_loss(method: str, model: torch.nn.Module,
               inputs: dict) -> Dict[str, object]:
    """Loss and gradients of the fixed training batch or episode."""
    model = copy.deepcopy(model)
    model.train()
    model.zero_grad()
    result = dict()
    if method in FINETUNE_METHODS:
        losses = model(
            img=inputs['train_imgs'],
            gt_label=inputs['train_labels'],
            mode='train')
    else:
        support = dict(
            img=inputs['episode_support_imgs'],
            gt_label=inputs['episode_support_labels'])
        query = dict(
            img=inputs['episode_query_imgs'],
            gt_label=inputs['episode_query_labels'])
        if method == 'maml':
            # MAML shuffles the class order of an episode with numpy's
            # global state: record the labels it gives
            np.random.seed(SEED)
            class_ids = torch.unique(support['gt_label']).tolist()
            np.random.shuffle(class_ids)
            result['maml_class_order'] = torch.tensor(class_ids)
            np.random.seed(SEED)
        losses = model(support_data=support, query_data=query, mode='train')
    loss = losses['loss']
    loss.backward()
    result['loss'] = loss.detach()
    # the norm of every gradient, and whole gradients where they are small
    # (the first convolution, the heads)
    first_conv = next(name for name, _ in model.named_parameters())
    result['grad_norms'] = {
        name: param.grad.detach().norm()
        for name, param in model.named_parameters() if param.grad is not None
    }
    result['grads'] = {
        name: param.grad.detach().clone()
        for name, param in model.named_parameters()
        if param.grad is not None and (name == first_conv or name.startswith(
            'head.') and param.numel() <= MAX_STORED_GRAD)
    }
    return result


def meta_test(method: str, model: torch.nn.Module, meta_test_cfg: dict,
              inputs: dict, num_shots: int,
              records: Dict[str, dict]) -> Dict[str, object]:
    """Query probabilities of the fixed task, by the original's
    ``test_single_task``."""
    from mmfewshot.classification.apis.test import test_single_task
    from mmfewshot.classification.utils import MetaTestParallel
    task = task_split(inputs, num_shots)
    parallel = MetaTestParallel(copy.deepcopy(model))
    class_ids = list(range(NUM_WAYS))
    result = dict()
    if meta_test_cfg.get('fast_test', False):
        # as extract_features_for_fast_test: eval mode, features once
        parallel.eval()
        with torch.no_grad():
            support = parallel(img=task['support_imgs'], mode='extract_feat')
            query = parallel(img=task['query_imgs'], mode='extract_feat')
        key = 'feats'
        result['support_feats'] = support
        result['query_feats'] = query
    else:
        support, query, key = task['support_imgs'], task['query_imgs'], 'img'
    parallel.before_meta_test(meta_test_cfg)
    support_cfg = meta_test_cfg.get('support', {})
    if support_cfg.get('train'):
        order = support_batch_order(
            len(support), support_cfg['batch_size'],
            support_cfg['train']['num_steps'],
            support_cfg.get('drop_last', False), SEED)
        batches = [{
            key: support[indices],
            'gt_label': task['support_labels'][indices]
        } for indices in order]
        # flat, with the size of every batch (the last one of a pass may
        # be smaller)
        result['support_batch_order'] = torch.cat(order)
        result['support_batch_sizes'] = torch.tensor(
            [len(indices) for indices in order])
    else:
        batches = [{key: support, 'gt_label': task['support_labels']}]
    query_batches = [{key: query, 'gt_label': task['query_labels']}]
    records.clear()
    torch.manual_seed(SEED)
    probs, gt_labels = test_single_task(parallel,
                                        FixedLoader(batches, class_ids),
                                        FixedLoader(query_batches, class_ids),
                                        meta_test_cfg)
    result['query_probs'] = torch.as_tensor(np.stack(probs))
    result['query_labels'] = torch.as_tensor(gt_labels)
    for name, state in records.items():
        result[name] = state
    return result


def save_model_zoo_checkpoint(model: torch.nn.Module, filename: str) -> None:
    """Save the model as the original's training saved its checkpoints.

    mmcv 1.x's ``save_checkpoint`` with the meta of the original's
    ``tools/classification/train.py`` (a ``ConfigDict`` with the mmcls
    version and the class names of the training set; the config text is
    left out) and of its runner and evaluation hook (epoch, iteration, best
    score as a numpy scalar); ``save_checkpoint`` adds the mmcv version.
    """
    import mmcls
    from mmcv import ConfigDict
    from mmcv.runner import save_checkpoint

    from mmfewshot.classification.datasets.cub import ALL_CLASSES
    meta = ConfigDict(
        mmcls_version=mmcls.__version__,
        CLASSES=[name for i, name in enumerate(ALL_CLASSES) if i % 2 == 0],
        seed=SEED)
    meta.update(
        epoch=1,
        iter=100,
        hook_msgs=dict(
            best_score=np.float64(0.5),
            best_ckpt='best_accuracy_mean.pth',
            last_ckpt='epoch_1.pth'))
    save_checkpoint(model, filename, meta=meta)


def generate(method: str, original_repo: str, inputs: dict, out: str,
             records: Dict[str, dict]) -> Dict[str, object]:
    from mmcv import Config

    from mmfewshot.classification.models import build_classifier
    config = CONFIGS[method]
    cfg = Config.fromfile(
        osp.join(original_repo, 'configs', 'classification', config))
    model_cfg = copy.deepcopy(cfg.model)
    changes = shrink(model_cfg)
    torch.manual_seed(SEED)
    model = build_classifier(model_cfg)
    fixed_weights(model, SEED + 1)
    meta_test_cfg = copy.deepcopy(cfg.data.test.meta_test_cfg)
    num_shots = cfg.data.test.num_shots
    start = time.time()
    outputs = dict(train=train_loss(method, model, inputs))
    outputs['meta_test'] = meta_test(method, model, meta_test_cfg, inputs,
                                     num_shots, records)
    save_model_zoo_checkpoint(model, osp.join(out, f'{method}_checkpoint.pth'))
    fixture = dict(
        method=method,
        config=f'configs/classification/{config}',
        model_type=model_cfg['type'],
        shrink=changes,
        num_shots=num_shots,
        checkpoint=f'{method}_checkpoint.pth',
        outputs=outputs,
        meta_test_cfg=meta_test_cfg.to_dict() if hasattr(
            meta_test_cfg, 'to_dict') else dict(meta_test_cfg),
        seconds=time.time() - start)
    torch.save(fixture, osp.join(out, f'{method}.pth'))
    return fixture


def versions() -> Dict[str, str]:
    import mmcls
    import mmcv

    import mmfewshot
    return dict(
        python=platform.python_version(),
        torch=str(torch.__version__),
        mmcv=mmcv.__version__,
        mmcls=mmcls.__version__,
        mmfewshot=mmfewshot.__version__)


def original_missing() -> str:
    """Why the imported ``mmfewshot`` is not the original's release (ours
    has the same name), or an empty string."""
    try:
        import mmfewshot
    except ImportError as error:
        return f'mmfewshot cannot be imported ({error})'
    if mmfewshot.__version__ != ORIGINAL_VERSION:
        return (f'mmfewshot {mmfewshot.__version__} imported from '
                f'{mmfewshot.__file__}, not the original {ORIGINAL_VERSION}')
    try:
        import mmcls  # noqa: F401
    except ImportError as error:
        return f'the original needs mmcls 0.x ({error})'
    return ''


def main() -> int:
    args = parse_args()
    methods = [name for name in args.methods.split(',') if name]
    unknown = sorted(set(methods) - set(CONFIGS))
    if unknown:
        print(
            f'generate_golden_classification: error: unknown method(s) '
            f'{", ".join(unknown)}',
            file=sys.stderr)
        return 2
    if not osp.isdir(
            osp.join(args.original_repo, 'configs', 'classification')):
        print(
            f'generate_golden_classification: error: {args.original_repo} '
            'has no configs/classification: pass a checkout of '
            'open-mmlab/mmfewshot at v0.1.0',
            file=sys.stderr)
        return 2
    problem = original_missing()
    if problem:
        print(
            f'generate_golden_classification: error: {problem}: run it '
            "with the reference environment's python, without this "
            'repository on PYTHONPATH',
            file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    narrow_resnet12()
    records = record_heads()
    os.makedirs(args.out, exist_ok=True)
    inputs = make_inputs()
    torch.save(
        dict(inputs=inputs, versions=versions()),
        osp.join(args.out, 'inputs.pth'))
    inputs = as_float(inputs)
    started = time.time()
    for method in methods:
        fixture = generate(method, args.original_repo, inputs, args.out,
                           records)
        print(f'{method}: loss {fixture["outputs"]["train"]["loss"]:.6f} '
              f'({fixture["seconds"]:.1f} s)')
    print(f'all: {time.time() - started:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
