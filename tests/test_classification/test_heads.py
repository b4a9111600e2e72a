import pytest
import torch
import torch.nn.functional as F

from mmfewshot.classification.registry import MODELS


def episode(num_tasks=3,
            num_ways=5,
            num_shots=2,
            num_queries=4,
            dim=16,
            seed=0):
    generator = torch.Generator().manual_seed(seed)
    support = torch.randn(
        num_tasks, num_ways * num_shots, dim, generator=generator)
    query = torch.randn(
        num_tasks, num_ways * num_queries, dim, generator=generator)
    support_labels = torch.arange(num_ways).repeat_interleave(
        num_shots).expand(num_tasks, -1)
    query_labels = torch.arange(num_ways).repeat_interleave(
        num_queries).expand(num_tasks, -1)
    return support, support_labels, query, query_labels


def test_prototype_head_prototypes_are_class_means_and_scores_distances():
    head = MODELS.build(dict(type='PrototypeHead'))
    support, labels, query, _ = episode()
    state = head.adapt(support, labels, 5)
    expected = support.view(3, 5, 2, 16).mean(2)
    torch.testing.assert_close(state['prototypes'], expected)
    scores = head.predict(state, query)
    assert scores.shape == (3, 20, 5)
    distances = (query[:, :, None] - expected[:, None]).norm(dim=-1)
    torch.testing.assert_close(scores, -distances, rtol=1e-4, atol=1e-4)
    squared = MODELS.build(dict(type='PrototypeHead', squared=True))
    torch.testing.assert_close(
        squared.predict(state, query), -distances**2, rtol=1e-4, atol=1e-4)


def test_prototype_head_classifies_query_equal_to_prototype():
    head = MODELS.build(dict(type='PrototypeHead'))
    support, labels, _, _ = episode(num_tasks=1)
    state = head.adapt(support, labels, 5)
    scores = head.predict(state, state['prototypes'])
    assert scores.argmax(-1).tolist() == [[0, 1, 2, 3, 4]]


def test_metric_head_losses_are_finite_and_logits_shaped():
    support, labels, query, query_labels = episode(dim=8)
    for cfg in [
            dict(type='PrototypeHead'),
            dict(type='MetaBaselineHead'),
            dict(type='MatchingHead')
    ]:
        head = MODELS.build(cfg)
        losses = head.loss(support, labels, query, query_labels)
        assert torch.isfinite(losses['loss'])
        assert 0 <= float(losses['accuracy']) <= 1
        assert head.predict(head.adapt(support, labels, 5),
                            query).shape == (3, 20, 5)


def test_meta_baseline_head_is_scaled_cosine_to_centroids():
    head = MODELS.build(dict(type='MetaBaselineHead', temperature=7.0))
    assert head.temperature.requires_grad
    support, labels, query, _ = episode(num_tasks=1)
    scores = head.predict(head.adapt(support, labels, 5), query)
    centroids = support.view(1, 5, 2, 16).mean(2)
    expected = 7.0 * F.cosine_similarity(
        query[0][:, None], centroids[0][None], dim=-1)
    torch.testing.assert_close(scores[0], expected, rtol=1e-5, atol=1e-5)
    assert scores.abs().max() <= 7.0 + 1e-5


def test_matching_head_probabilities_are_attention_per_class():
    head = MODELS.build(
        dict(type='MatchingHead', temperature=1.0, softmax_scores=False))
    support, labels, query, _ = episode(num_tasks=1)
    log_probs = head.predict(head.adapt(support, labels, 5), query)
    probs = head.scores_to_probs(log_probs)
    torch.testing.assert_close(probs.sum(-1), torch.ones(1, 20))
    similarity = F.cosine_similarity(
        query[0][:, None], support[0][None], dim=-1)
    attention = similarity.softmax(-1)
    expected = attention.view(20, 5, 2).sum(-1)
    torch.testing.assert_close(probs[0], expected, rtol=1e-5, atol=1e-6)
    # as the original (the default): the softmax of the mean attentions
    head.softmax_scores = True
    torch.testing.assert_close(
        head.scores_to_probs(log_probs)[0], (expected / 2).softmax(-1))


def test_relation_head_scores_pairs_of_query_and_mean_class_map():
    head = MODELS.build(
        dict(type='RelationHead', in_channels=4, feature_size=(19, 19)))
    support = torch.randn(2, 5 * 2, 4, 19, 19)
    query = torch.randn(2, 5 * 3, 4, 19, 19)
    labels = torch.arange(5).repeat_interleave(2).expand(2, -1)
    state = head.adapt(support, labels, 5)
    torch.testing.assert_close(state['class_maps'][:, 1],
                               (support[:, 2] + support[:, 3]) / 2)
    scores = head.predict(state, query)
    assert scores.shape == (2, 15, 5)
    assert head.scores_to_probs(scores).sum(-1).allclose(torch.ones(2, 15))
    query_labels = torch.arange(5).repeat_interleave(3).expand(2, -1)
    loss = head.loss(support, labels, query, query_labels)['loss']
    assert torch.isfinite(loss)
    # in eval mode (batch norm frozen) the pairs of one task do not depend
    # on the other tasks
    head.eval()
    scores = head.predict(state, query)
    alone = head.predict(head.adapt(support[1:], labels[1:], 5), query[1:])
    torch.testing.assert_close(alone[0], scores[1], rtol=1e-5, atol=1e-6)
    # with a regression loss the scores are sigmoids
    mse = MODELS.build(
        dict(
            type='RelationHead',
            in_channels=4,
            feature_size=(19, 19),
            loss=dict(type='MSELoss')))
    scores = mse.predict(state, query).detach()
    assert 0 <= float(scores.min()) and float(scores.max()) <= 1


def test_relation_head_rejects_flat_features_and_tiny_maps():
    with pytest.raises(ValueError, match='too small'):
        MODELS.build(dict(type='RelationHead', feature_size=(4, 4), padding=0))
    head = MODELS.build(dict(type='RelationHead'))
    support, labels, _, _ = episode()
    with pytest.raises(ValueError, match='feature maps'):
        head.adapt(support, labels, 5)


@pytest.mark.parametrize('head_type',
                         ['LinearHead', 'CosineDistanceHead', 'NegMarginHead'])
def test_finetune_heads_base_training(head_type):
    head = MODELS.build(dict(type=head_type, num_classes=7, in_channels=16))
    feats = torch.randn(12, 16)
    labels = torch.arange(12) % 7
    assert head(feats).shape == (12, 7)
    losses = head.loss(feats, labels)
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in head.parameters())


def test_cosine_head_logits_are_gain_times_scaled_cosine():
    head = MODELS.build(
        dict(
            type='CosineDistanceHead',
            num_classes=4,
            in_channels=8,
            temperature=3.0))
    logits = head(torch.randn(20, 8) * 100)
    assert (logits.abs() <= 3.0 * head.gain + 1e-5).all()
    feats = torch.randn(5, 8)
    expected = 3.0 * F.normalize(
        feats,
        dim=-1) @ (head.gain[:, None] * F.normalize(head.weight, dim=-1)).t()
    torch.testing.assert_close(head(feats), expected, rtol=1e-4, atol=1e-5)
    # the original's default temperature depends on the number of classes
    assert float(
        MODELS.build(
            dict(type='CosineDistanceHead', num_classes=200,
                 in_channels=8)).temperature) == 2.0
    assert float(
        MODELS.build(
            dict(type='CosineDistanceHead', num_classes=351,
                 in_channels=8)).temperature) == 10.0


def test_unused_outputs_of_a_cosine_head_change_its_training_loss():
    """The original's miniImageNet Baseline++ and NegMargin heads have 100
    outputs for 64 classes: the 36 outputs no label names still enter the
    softmax, so the loss and the features' gradients differ from a 64-output
    head with the same 64 weight vectors (why the configs keep 100)."""
    wide = MODELS.build(
        dict(
            type='CosineDistanceHead',
            num_classes=100,
            in_channels=16,
            temperature=2.0))
    narrow = MODELS.build(
        dict(
            type='CosineDistanceHead',
            num_classes=64,
            in_channels=16,
            temperature=2.0))
    with torch.no_grad():
        narrow.weight.copy_(wide.weight[:64])
        narrow.gain.copy_(wide.gain[:64])
    generator = torch.Generator().manual_seed(0)
    feats = torch.randn(32, 16, generator=generator, requires_grad=True)
    labels = torch.randint(64, (32, ), generator=generator)
    wide_loss = wide.loss(feats, labels)['loss']
    narrow_loss = narrow.loss(feats, labels)['loss']
    logits = wide(feats).detach()
    extra = torch.log1p(logits[:, 64:].exp().sum(-1) /
                        logits[:, :64].exp().sum(-1)).mean()
    torch.testing.assert_close(wide_loss - narrow_loss, extra)
    assert extra > 0.2
    wide_grad, = torch.autograd.grad(wide_loss, feats)
    narrow_grad, = torch.autograd.grad(narrow_loss, feats)
    change = (wide_grad - narrow_grad).norm() / narrow_grad.norm()
    assert change > 0.05


def test_neg_margin_applied_only_in_training():
    head = MODELS.build(
        dict(
            type='NegMarginHead',
            num_classes=3,
            in_channels=8,
            margin=-0.5,
            temperature=2.0))
    feats = torch.randn(6, 8)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    plain = head(feats)
    state = head.own_state()
    trained = head.task_logits(state, feats[None], labels[None])[0]
    difference = trained - plain
    expected = torch.zeros(6, 3)
    expected[torch.arange(6), labels] = 2.0 * 0.5  # -scale * margin
    torch.testing.assert_close(difference, expected)


def test_finetune_adapt_fits_separable_support_and_is_seeded():
    head = MODELS.build(
        dict(
            type='LinearHead',
            num_classes=5,
            in_channels=16,
            finetune_cfg=dict(
                num_steps=100,
                batch_size=4,
                optimizer=dict(type='SGD', lr=0.5))))
    centers = torch.randn(5, 16) * 3
    support_labels = torch.arange(5).repeat_interleave(3)[None]
    support = centers[support_labels] + 0.1 * torch.randn(1, 15, 16)
    query_labels = torch.arange(5).repeat_interleave(4)[None]
    query = centers[query_labels] + 0.1 * torch.randn(1, 20, 16)
    state = head.adapt(support, support_labels, 5, task_seeds=[3])
    scores = head.predict(state, query)
    assert (scores.argmax(-1) == query_labels).float().mean() == 1.0
    again = head.adapt(support, support_labels, 5, task_seeds=[3])
    torch.testing.assert_close(again['weight'], state['weight'])
    other = head.adapt(support, support_labels, 5, task_seeds=[4])
    assert not torch.allclose(other['weight'], state['weight'])
    # the head's own (base-class) weights are untouched by adaptation
    assert head.fc.weight.shape == (5, 16)


@pytest.mark.parametrize('head_type',
                         ['LinearHead', 'CosineDistanceHead', 'NegMarginHead'])
def test_batched_finetune_equals_one_task_at_a_time(head_type):
    head = MODELS.build(
        dict(
            type=head_type,
            num_classes=5,
            in_channels=16,
            finetune_cfg=dict(num_steps=30, batch_size=4)))
    support, labels, query, _ = episode(num_tasks=6, num_shots=3)
    seeds = [10 + i for i in range(6)]
    batched = head.predict(head.adapt(support, labels, 5, seeds), query)
    for task in range(6):
        alone = head.predict(
            head.adapt(support[task:task + 1], labels[task:task + 1], 5,
                       [seeds[task]]), query[task:task + 1])
        torch.testing.assert_close(
            alone[0], batched[task], rtol=1e-4, atol=1e-4)


def test_unknown_finetune_key_is_named():
    with pytest.raises(KeyError, match='num_stpes'):
        MODELS.build(
            dict(
                type='LinearHead',
                num_classes=5,
                in_channels=4,
                finetune_cfg=dict(num_stpes=3)))


def test_losses():
    nll = MODELS.build(dict(type='NLLLoss'))
    log_probs = torch.log(torch.tensor([[0.5, 0.5], [0.25, 0.75]]))
    torch.testing.assert_close(
        nll(log_probs, torch.tensor([0, 1])),
        -(torch.log(torch.tensor(0.5)) + torch.log(torch.tensor(0.75))) / 2)
    mse = MODELS.build(dict(type='MSELoss', loss_weight=2.0))
    scores = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    torch.testing.assert_close(
        mse(scores, torch.tensor([0, 1])),
        torch.tensor(2.0 * 0.5 * 0.5 * 2 / 4))


@pytest.mark.parametrize('head_type',
                         ['LinearHead', 'CosineDistanceHead', 'NegMarginHead'])
def test_sgd_finetuning_in_the_support_subspace_equals_full_space(head_type):
    extra = dict(margin=-0.2) if head_type == 'NegMarginHead' else {}
    head = MODELS.build(
        dict(
            type=head_type,
            num_classes=5,
            in_channels=64,
            finetune_cfg=dict(
                num_steps=60,
                batch_size=4,
                optimizer=dict(
                    type='SGD',
                    lr=0.05,
                    momentum=0.9,
                    dampening=0.9,
                    weight_decay=0.001,
                    nesterov=False)),
            **extra))
    support, labels, query, _ = episode(num_tasks=3, dim=64, num_shots=2)
    subspace = head.adapt(support, labels, 5, [1, 2, 3])
    head.rotation_equivariant_optimizers = ()  # force the full space
    full = head.adapt(support, labels, 5, [1, 2, 3])
    # the weights moved far from their initialisation, and identically
    assert (full['weight'] - head.init_task_state(
        5, [torch.Generator().manual_seed(s) for s in (1, 2, 3)],
        torch.device('cpu'))['weight']).abs().max() > 0.05
    torch.testing.assert_close(
        subspace['weight'], full['weight'], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        head.predict(subspace, query),
        head.predict(full, query),
        rtol=1e-4,
        atol=1e-4)


def test_adam_finetuning_runs_in_full_space_and_learns():
    head = MODELS.build(
        dict(
            type='LinearHead',
            num_classes=5,
            in_channels=16,
            finetune_cfg=dict(
                num_steps=60,
                batch_size=5,
                optimizer=dict(type='Adam', lr=0.05))))
    centers = torch.randn(5, 16) * 3
    labels = torch.arange(5).repeat_interleave(2)[None]
    support = centers[labels] + 0.1 * torch.randn(1, 10, 16)
    state = head.adapt(support, labels, 5, [0])
    scores = head.predict(state, centers[None])
    assert scores.argmax(-1).tolist() == [[0, 1, 2, 3, 4]]
