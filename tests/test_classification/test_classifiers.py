import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmfewshot.classification.registry import MODELS

NUM_WAYS, NUM_SHOTS, NUM_QUERIES = 5, 2, 3
PREPROCESSOR = dict(mean=[127.5] * 3, std=[127.5] * 3)
CONV4_32 = dict(type='Conv4')  # 256-d features on 32x32 images

CLASSIFIERS = {
    'ProtoNet':
    dict(type='ProtoNet', backbone=CONV4_32),
    'MatchingNet':
    dict(type='MatchingNet', backbone=CONV4_32),
    'MetaBaseline':
    dict(type='MetaBaseline', backbone=CONV4_32),
    'RelationNet':
    dict(
        type='RelationNet',
        backbone=dict(type='Conv4NoPool'),
        head=dict(
            type='RelationHead',
            in_channels=64,
            feature_size=(6, 6),
            padding=1)),
    # MAML differentiates through its inner loop: 16x16 images keep it
    # fast (Conv4 gives 64-d features on them)
    'MAML':
    dict(
        type='MAML',
        backbone=CONV4_32,
        head=dict(type='LinearHead', num_classes=NUM_WAYS, in_channels=64),
        num_inner_steps=2,
        num_inner_steps_test=3,
        inner_lr=0.1),
    'MAML-first-order':
    dict(
        type='MAML',
        backbone=CONV4_32,
        head=dict(type='LinearHead', num_classes=NUM_WAYS, in_channels=64),
        num_inner_steps=2,
        inner_lr=0.1,
        first_order=True),
    'Baseline':
    dict(
        type='Baseline',
        backbone=CONV4_32,
        head=dict(type='LinearHead', num_classes=8, in_channels=256),
        meta_test_head=dict(
            type='LinearHead', num_classes=NUM_WAYS, in_channels=256)),
    'BaselinePlus':
    dict(
        type='BaselinePlus',
        backbone=CONV4_32,
        head=dict(type='CosineDistanceHead', num_classes=8, in_channels=256),
        meta_test_head=dict(
            type='CosineDistanceHead', num_classes=NUM_WAYS, in_channels=256)),
    'NegMargin':
    dict(
        type='NegMargin',
        backbone=CONV4_32,
        head=dict(
            type='NegMarginHead', num_classes=8, in_channels=256, margin=-0.1),
        meta_test_head=dict(
            type='NegMarginHead', num_classes=NUM_WAYS, in_channels=256)),
}
FINETUNE = {'Baseline', 'BaselinePlus', 'NegMargin'}
IMAGE_SIZE = {'MAML': 16, 'MAML-first-order': 16}


def build(name):
    cfg = copy.deepcopy(CLASSIFIERS[name])
    cfg['data_preprocessor'] = PREPROCESSOR
    torch.manual_seed(0)
    return MODELS.build(cfg)


def samples(labels, seed, size=32):
    generator = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(
            0, 256, (3, size, size), generator=generator, dtype=torch.uint8)
        for _ in labels
    ]
    return dict(
        inputs=inputs,
        data_samples=[
            DataSample().set_gt_label(int(label)) for label in labels
        ])


def episode_batch(num_episodes=2, seed=0, size=32):
    support = torch.arange(NUM_WAYS).repeat_interleave(NUM_SHOTS).repeat(
        num_episodes)
    query = torch.arange(NUM_WAYS).repeat_interleave(NUM_QUERIES).repeat(
        num_episodes)
    return dict(
        support_data=samples(support, seed, size),
        query_data=samples(query, seed + 1, size))


def plain_batch(seed=0):
    return samples(torch.arange(16) % 8, seed)


@pytest.mark.parametrize('name', sorted(CLASSIFIERS))
def test_train_loss_decreases_over_20_steps(name):
    model = build(name)
    model.train()
    size = IMAGE_SIZE.get(name, 32)
    data = plain_batch() if name in FINETUNE else episode_batch(size=size)
    optim_wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    losses = []
    for _ in range(20):
        log_vars = model.train_step(data, optim_wrapper)
        losses.append(log_vars['loss'].item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3, losses


@pytest.mark.parametrize('name', sorted(CLASSIFIERS))
def test_support_then_query_gives_one_score_per_query_and_class(name):
    model = build(name)
    meta_test_cfg = dict(
        num_ways=NUM_WAYS, support=dict(train=dict(num_steps=5, batch_size=4)))
    model.before_meta_test(meta_test_cfg)
    assert not model.training
    support_labels = torch.arange(NUM_WAYS).repeat_interleave(NUM_SHOTS)
    model.before_forward_support(task_seed=0)
    with torch.no_grad():
        size = IMAGE_SIZE.get(name, 32)
        for part in (0, 1):  # the support set may come in several batches
            batch = samples(support_labels[part::2], seed=part, size=size)
            model(**model.data_preprocessor(batch), mode='support')
        model.before_forward_query()
        query = samples(torch.arange(NUM_WAYS).repeat(2), seed=5, size=size)
        results = model(**model.data_preprocessor(query), mode='query')
    assert len(results) == 2 * NUM_WAYS
    for result in results:
        assert result.pred_score.shape == (NUM_WAYS, )
        assert torch.isclose(
            result.pred_score.sum(), torch.tensor(1.0), atol=1e-4)
        assert int(result.pred_label) == int(result.pred_score.argmax())


def test_query_before_support_is_an_error():
    model = build('ProtoNet')
    model.before_meta_test({})
    model.before_forward_support()
    with pytest.raises(RuntimeError, match='support'):
        model.before_forward_query()


def test_finetune_classifier_needs_before_meta_test():
    model = build('Baseline')
    with pytest.raises(RuntimeError, match='before_meta_test'):
        model.task_head


def test_episode_batch_must_be_class_major():
    model = build('ProtoNet')
    data = episode_batch(num_episodes=1)
    data['support_data']['data_samples'].reverse()
    with pytest.raises(ValueError, match='class-major'):
        model.train_step(
            data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))


def test_maml_adaptation_improves_support_accuracy_and_keeps_weights():
    model = build('MAML')
    model.eval()
    labels = torch.arange(NUM_WAYS).repeat_interleave(4)
    data = model.data_preprocessor(samples(labels, seed=3, size=16))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    params = dict(model.named_parameters())
    with torch.no_grad():
        start = model.logits_with(params, data['inputs']).argmax(-1)
    adapted = model.adapt_params(data['inputs'], labels, num_steps=15)
    with torch.no_grad():
        end = model.logits_with(adapted, data['inputs']).argmax(-1)
    start_accuracy = (start == labels).float().mean()
    end_accuracy = (end == labels).float().mean()
    assert end_accuracy > start_accuracy
    assert end_accuracy >= 0.5
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_maml_refuses_fast_test():
    model = build('MAML')
    with pytest.raises(ValueError, match='fast_test'):
        model.before_meta_test(dict(fast_test=True))


def test_metric_classifier_answers_batched_tasks_like_single_tasks():
    model = build('ProtoNet')
    model.before_meta_test({})
    generator = torch.Generator().manual_seed(0)
    support = torch.randn(4, 10, 256, generator=generator)
    query = torch.randn(4, 15, 256, generator=generator)
    labels = torch.arange(5).repeat_interleave(2).expand(4, -1)
    batched = model.meta_test_tasks(support, labels, query)
    for task in range(4):
        model.before_forward_support()
        model.forward_support(
            support[task],
            [DataSample().set_gt_label(int(label)) for label in labels[task]])
        model.before_forward_query()
        single = torch.stack(
            [r.pred_score for r in model.forward_query(query[task])])
        torch.testing.assert_close(single, batched[task])


def test_maml_normalises_every_batch_with_its_own_statistics():
    model = build('MAML')
    assert not any(
        name.endswith(('running_mean', 'running_var'))
        for name in model.state_dict())
    labels = torch.arange(NUM_WAYS).repeat(3)
    inputs = model.data_preprocessor(samples(labels, seed=4,
                                             size=16))['inputs']
    params = dict(model.named_parameters())
    with torch.no_grad():
        model.train()
        in_training = model.logits_with(params, inputs)
        model.eval()
        at_meta_test = model.logits_with(params, inputs)
        part = model.logits_with(params, inputs[:NUM_WAYS])
    torch.testing.assert_close(at_meta_test, in_training)
    # the statistics are those of the batch: a part of it comes out
    # differently
    assert not torch.allclose(part, at_meta_test[:NUM_WAYS], atol=1e-3)


def test_maml_query_set_must_come_as_one_batch():
    model = build('MAML')
    meta_test_cfg = dict(fast_test=False, num_ways=5, num_queries=15)
    with pytest.raises(ValueError, match='query.batch_size'):
        model.before_meta_test(dict(meta_test_cfg, query=dict(batch_size=25)))
    model.before_meta_test(dict(meta_test_cfg, query=dict(batch_size=75)))
    # with running statistics any batching gives the same answers
    cfg = dict(CLASSIFIERS['MAML'], track_running_stats=True)
    running = MODELS.build(dict(cfg, data_preprocessor=PREPROCESSOR))
    running.before_meta_test(dict(meta_test_cfg, query=dict(batch_size=25)))


def test_meta_baseline_loads_the_backbone_of_the_one_matching_checkpoint(
        tmp_path):
    baseline = build('Baseline')
    for parameter in baseline.backbone.parameters():
        torch.nn.init.normal_(parameter)
    work_dir = tmp_path / 'baseline'
    work_dir.mkdir()
    torch.save(
        dict(state_dict=baseline.state_dict()),
        work_dir / 'best_accuracy_mean_epoch_35.pth')
    pattern = str(work_dir / 'best_accuracy_mean_*.pth')
    cfg = copy.deepcopy(CLASSIFIERS['MetaBaseline'])
    cfg['backbone'] = dict(
        cfg['backbone'],
        init_cfg=dict(
            type='PretrainedMatch', checkpoint=pattern, prefix='backbone.'))
    with DefaultScope.overwrite_default_scope('mmfewshot_cls'):
        meta_baseline = MODELS.build(cfg)
        meta_baseline.init_weights()
        for key, value in baseline.backbone.state_dict().items():
            torch.testing.assert_close(
                meta_baseline.backbone.state_dict()[key], value)
        # two best checkpoints, or none, are a mistake named by the pattern
        torch.save(
            dict(state_dict=baseline.state_dict()),
            work_dir / 'best_accuracy_mean_epoch_40.pth')
        for checkpoint in (pattern, str(tmp_path / 'missing_*.pth')):
            cfg['backbone']['init_cfg']['checkpoint'] = checkpoint
            with pytest.raises(FileNotFoundError, match='exactly one'):
                MODELS.build(copy.deepcopy(cfg)).init_weights()
