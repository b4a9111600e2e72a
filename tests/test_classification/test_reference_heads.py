"""Every head, built from a shipped config, against values worked out by
hand from the formula of the original toolbox on small fixed features.

Features live in the first two dimensions of the configs' feature spaces
(1600-d Conv4, 640-d ResNet12), so distances, cosines and logits are the
plane geometry written in the comments.
"""
import copy
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope

from mmfewshot.classification.registry import MODELS
from mmfewshot.utils import load_config

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs' / \
    'classification'


def config(method: str, name: str):
    return load_config(str(CONFIG_ROOT / method / 'mini_imagenet' / name))


def build(head_cfg: dict):
    with DefaultScope.overwrite_default_scope('mmfewshot_cls'):
        return MODELS.build(copy.deepcopy(head_cfg))


def plane(points, dim: int) -> torch.Tensor:
    """Points of the plane as [1, N, dim] features (one task)."""
    feats = torch.zeros(1, len(points), dim)
    feats[0, :, :2] = torch.tensor(points, dtype=torch.float32)
    return feats


def labels(*values) -> torch.Tensor:
    return torch.tensor([values])


def cross_entropy(logits, target: int) -> float:
    """-log softmax(logits)[target], by hand."""
    return -logits[target] + math.log(sum(math.exp(v) for v in logits))


# -- ProtoNet -----------------------------------------------------------------
def test_proto_net_scores_by_plain_euclidean_distance():
    cfg = config('proto_net',
                 'proto-net_conv4_1xb105_mini-imagenet_5way-1shot.py')
    head = build(cfg.model.head)
    assert head.squared is False
    # prototypes (1, 0) and (0, 3); queries (4, 0) and (1, 3)
    support = plane([(0, 0), (2, 0), (0, 4), (0, 2)], 1600)
    query = plane([(4, 0), (1, 3)], 1600)
    state = head.adapt(support, labels(0, 0, 1, 1), 2)
    scores = head.predict(state, query)
    torch.testing.assert_close(scores, torch.tensor([[[-3., -5.], [-3.,
                                                                   -1.]]]))
    loss = head.loss(support, labels(0, 0, 1, 1), query, labels(0, 1))
    # both queries: logits (-3, -5) at the target -3 -> log(1 + e^-2)
    assert loss['loss'].item() == pytest.approx(
        math.log(1 + math.exp(-2)), rel=1e-5)

    squared = build(dict(cfg.model.head, squared=True))
    scores = squared.predict(state, query)
    torch.testing.assert_close(scores, torch.tensor([[[-9., -25.], [-9.,
                                                                    -1.]]]))
    loss = squared.loss(support, labels(0, 0, 1, 1), query, labels(0, 1))
    expected = (cross_entropy([-9, -25], 0) + cross_entropy([-9, -1], 1)) / 2
    assert loss['loss'].item() == pytest.approx(expected, rel=1e-5)


# -- MatchingNet --------------------------------------------------------------
def test_matching_net_class_score_is_mean_attention():
    cfg = config('matching_net',
                 'matching-net_conv4_1xb105_mini-imagenet_5way-1shot.py')
    head = build(cfg.model.head)
    assert head.temperature == 100
    assert type(head.loss_module).__name__ == 'NLLLoss'
    # query (1, 0); class 0: (1, 0) and (0, 1), class 1: (0.8, 0.6) and
    # (0.6, 0.8)
    support = plane([(1, 0), (0, 1), (0.8, 0.6), (0.6, 0.8)], 1600)
    query = plane([(1, 0)], 1600)
    cosines = [1.0, 0.0, 0.8, 0.6]
    weights = [math.exp(100 * c) for c in cosines]
    attention = [w / sum(weights) for w in weights]
    class_scores = [(attention[0] + attention[1]) / 2,
                    (attention[2] + attention[3]) / 2]
    scores = head.predict(head.adapt(support, labels(0, 0, 1, 1), 2), query)
    torch.testing.assert_close(
        scores, torch.tensor([[[math.log(s) for s in class_scores]]]))
    loss = head.loss(support, labels(0, 0, 1, 1), query, labels(0))
    # nearly all attention on one of the two class-0 samples: the mean is
    # about 1/2 (a sum would give a loss of about 0)
    assert loss['loss'].item() == pytest.approx(-math.log(class_scores[0]))
    assert loss['loss'].item() == pytest.approx(math.log(2), abs=1e-6)
    # the original's probabilities: the softmax of the class scores
    probs = head.scores_to_probs(scores)
    torch.testing.assert_close(probs[0, 0],
                               torch.tensor(class_scores).softmax(-1))


# -- Meta-Baseline ------------------------------------------------------------
def test_meta_baseline_scores_scaled_cosine_to_centroids():
    cfg = config('meta_baseline',
                 'meta-baseline_resnet12_1xb100_mini-imagenet_5way-1shot.py')
    head = build(cfg.model.head)
    assert isinstance(head.temperature, torch.nn.Parameter)
    assert float(head.temperature.detach()) == 10.0
    # centroids (1, 1) and (0, -3); query (1, 0): cosines 1/sqrt(2) and 0
    support = plane([(2, 0), (0, 2), (0, -2), (0, -4)], 640)
    query = plane([(1, 0)], 640)
    scores = head.predict(head.adapt(support, labels(0, 0, 1, 1), 2), query)
    torch.testing.assert_close(scores,
                               torch.tensor([[[10 / math.sqrt(2), 0.0]]]))
    loss = head.loss(support, labels(0, 0, 1, 1), query, labels(1))
    assert loss['loss'].item() == pytest.approx(
        10 / math.sqrt(2) + math.log(1 + math.exp(-10 / math.sqrt(2))),
        rel=1e-5)


# -- RelationNet --------------------------------------------------------------
def pass_through_relation_module(head, query_weight: float,
                                 class_weight: float) -> None:
    """Make the module a readable function of constant maps: the convs pass
    query channel 0 and class channel 0 (channel ``in_channels``) on by
    their centre taps, the BatchNorms are identities up to their eps, the
    first linear layer sums each channel over the map and the second
    weighs the two sums."""
    in_channels = head.in_channels
    first, second = head.blocks[0][0], head.blocks[1][0]
    with torch.no_grad():
        for conv in (first, second):
            conv.weight.zero_()
            conv.bias.zero_()
        first.weight[0, 0, 1, 1] = 1
        first.weight[1, in_channels, 1, 1] = 1
        second.weight[0, 0, 1, 1] = 1
        second.weight[1, 1, 1, 1] = 1
        hidden, output = head.fc[0], head.fc[2]
        hidden.weight.zero_()
        hidden.bias.zero_()
        channels, cells = second.out_channels, hidden.in_features
        per_channel = cells // channels
        hidden.weight[0, :per_channel] = 1
        hidden.weight[1, per_channel:2 * per_channel] = 1
        output.weight.zero_()
        output.weight[0, :2] = torch.tensor([query_weight, class_weight])
        output.bias.zero_()


def test_relation_net_compares_query_with_mean_support_map():
    cfg = config('relation_net',
                 'relation-net_conv4_1xb105_mini-imagenet_5way-1shot.py')
    head = build(cfg.model.head)
    first_conv, first_norm = head.blocks[0][0], head.blocks[0][1]
    # 19 -> conv 17 -> pool 8 -> conv 6 -> pool 3, no padding
    assert (first_conv.in_channels, first_conv.out_channels,
            first_conv.padding) == (128, 64, (0, 0))
    assert (head.fc[0].in_features, head.fc[0].out_features) == (64 * 9, 8)
    assert first_norm.momentum == 1.0
    assert type(head.loss_module).__name__ == 'CrossEntropyLoss'
    assert head.sigmoid_scores is False
    # initialisation of the original: linear biases 1, weights ~N(0, 0.01)
    assert torch.equal(head.fc[0].bias, torch.ones(8))
    assert float(head.fc[0].weight.detach().std()) == pytest.approx(
        0.01, rel=0.1)

    head.eval()  # running statistics (0, 1): BatchNorm divides by sqrt(1+eps)
    pass_through_relation_module(head, query_weight=1.0, class_weight=10.0)
    # constant maps: class 0 has shots 0.01 and 0.03 (mean 0.02), class 1
    # 0.04 and 0.06 (mean 0.05); the query map is 0.07
    support = torch.stack([
        torch.full((64, 19, 19), value) for value in (0.01, 0.03, 0.04, 0.06)
    ])[None]
    query = torch.full((1, 1, 64, 19, 19), 0.07)
    state = head.adapt(support, labels(0, 0, 1, 1), 2)
    scores = head.predict(state, query)
    scale = 9 / (1 + 1e-5)  # 3 x 3 cells, two BatchNorm divisions
    expected = [scale * (0.07 + 10 * 0.02), scale * (0.07 + 10 * 0.05)]
    torch.testing.assert_close(scores, torch.tensor([[expected]]))
    loss = head.loss(support, labels(0, 0, 1, 1), query, labels(0))
    assert loss['loss'].item() == pytest.approx(
        cross_entropy(expected, 0), rel=1e-5)

    # the paper's variant: sigmoid scores regressed to one-hot targets
    mse = build(dict(cfg.model.head, loss=dict(type='MSELoss')))
    mse.load_state_dict(head.state_dict())
    mse.eval()
    loss = mse.loss(support, labels(0, 0, 1, 1), query, labels(1))
    sigmoid = [1 / (1 + math.exp(-v)) for v in expected]
    assert loss['loss'].item() == pytest.approx(
        (sigmoid[0]**2 + (1 - sigmoid[1])**2) / 2, rel=1e-5)


def test_relation_net_keeps_the_last_training_batch_statistics():
    cfg = config('relation_net',
                 'relation-net_resnet12_1xb105_mini-imagenet_5way-1shot.py')
    head = build(cfg.model.head)
    conv = head.blocks[0][0]
    # 640-channel maps of 5 x 5 are padded: 5 -> 5 -> 2 -> 2 -> 1
    assert (conv.in_channels, conv.out_channels, conv.padding) == (1280, 640,
                                                                   (1, 1))
    assert head.fc[0].in_features == 640
    support = torch.randn(1, 10, 640, 5, 5)
    query = torch.randn(1, 15, 640, 5, 5)
    state = head.adapt(support, torch.arange(5).repeat_interleave(2)[None], 5)
    head.train()
    head.predict(state, query)
    pairs = torch.cat(
        torch.broadcast_tensors(query[0][:, None],
                                state['class_maps'][0][None]),
        dim=2).flatten(0, 1)
    batch_mean = conv(pairs).mean(dim=(0, 2, 3))
    torch.testing.assert_close(head.blocks[0][1].running_mean, batch_mean)


# -- Baseline -----------------------------------------------------------------
def test_baseline_linear_logits_and_loss():
    cfg = config('baseline',
                 'baseline_conv4_1xb64_mini-imagenet_5way-1shot.py')
    head = build(cfg.model.head)
    assert (head.num_classes, head.in_channels) == (64, 1600)
    with torch.no_grad():
        head.fc.weight.zero_()
        head.fc.bias.zero_()
        head.fc.weight[0, :2] = torch.tensor([1.0, 2.0])
        head.fc.weight[1, :2] = torch.tensor([-1.0, 0.5])
        head.fc.bias[1] = 0.25
    feats = plane([(2, 1)], 1600)[0]
    logits = head(feats)
    # class 0: 2 + 2 = 4; class 1: -2 + 0.5 + 0.25 = -1.25; 62 others 0
    assert logits[0, :3].tolist() == [4.0, -1.25, 0.0]
    loss = head.loss(feats, torch.tensor([1]))['loss']
    expected = cross_entropy([4.0, -1.25] + [0.0] * 62, 1)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


# -- Baseline++ ---------------------------------------------------------------
@pytest.mark.parametrize('backbone, temperatures', [('conv4', (2.0, 2.0)),
                                                    ('resnet12', (10.0, 5.0))])
def test_baseline_plus_weight_normalised_cosine(backbone, temperatures):
    cfg = config(
        'baseline_plus',
        f'baseline-plus_{backbone}_1xb64_mini-imagenet_5way-1shot.py')
    dim = 1600 if backbone == 'conv4' else 640
    head = build(cfg.model.head)
    meta_test_head = build(cfg.model.meta_test_head)
    assert (float(head.temperature),
            float(meta_test_head.temperature)) == temperatures
    # the gain starts as the norm of the initial direction
    torch.testing.assert_close(head.gain, head.weight.norm(dim=1))
    with torch.no_grad():
        head.weight.zero_()
        head.weight[0, 0] = 3.0  # direction (1, 0)
        head.weight[1, 1] = 0.5  # direction (0, 1)
        head.gain.fill_(1.0)
        head.gain[0] = 2.0
        head.gain[1] = 0.5
    # x = (3, 4), |x| = 5: cosines 0.6 and 0.8, x divided by |x| + 1e-5
    feats = plane([(3, 4)], dim)[0]
    shrink = 5 / (5 + 1e-5)
    scale = temperatures[0]
    expected = [scale * 2.0 * 0.6 * shrink, scale * 0.5 * 0.8 * shrink]
    logits = head(feats)
    torch.testing.assert_close(logits[0, :2], torch.tensor(expected))
    assert float(logits[0, 2:].detach().abs().max()) == 0.0
    loss = head.loss(feats, torch.tensor([1]))['loss']
    expected_loss = cross_entropy(expected + [0.0] * (head.num_classes - 2), 1)
    assert loss.item() == pytest.approx(expected_loss, rel=1e-5)


# -- NegMargin ----------------------------------------------------------------
def test_neg_margin_cosine_logits_with_and_without_margin():
    cfg = config('neg_margin',
                 'neg-margin_cosine_conv4_1xb64_mini-imagenet_5way-1shot.py')
    head = build(cfg.model.head)
    assert (head.metric_type, head.margin, head.temperature) == ('cosine',
                                                                 -0.005, 10.0)
    meta_test_head = build(cfg.model.meta_test_head)
    assert (meta_test_head.margin, meta_test_head.temperature) == (0.0, 5.0)
    with torch.no_grad():
        head.weight.zero_()
        head.weight[0, 0] = 2.0  # direction (1, 0)
        head.weight[1, 1] = 1.0  # direction (0, 1)
    feats = plane([(3, 4)], 1600)[0]
    # cosines 0.6 and 0.8; other classes 0
    plain = head(feats)
    torch.testing.assert_close(plain[0, :2], torch.tensor([6.0, 8.0]))
    loss = head.loss(feats, torch.tensor([0]))['loss']
    # the target's cosine minus the margin: 10 * (0.6 + 0.005)
    expected = cross_entropy([6.05, 8.0] + [0.0] * (head.num_classes - 2), 0)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_neg_margin_softmax_metric_subtracts_the_smallest_similarity():
    head = build(
        dict(
            type='NegMarginHead',
            num_classes=3,
            in_channels=2,
            metric_type='softmax',
            margin=-0.5,
            temperature=2.0))
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
    feats = torch.tensor([[3.0, 4.0]])
    # inner products 3, 4, -7; minus -7: 10, 11, 0; times 2
    torch.testing.assert_close(head(feats), torch.tensor([[20., 22., 0.]]))
    loss = head.loss(feats, torch.tensor([2]))['loss']
    assert loss.item() == pytest.approx(cross_entropy([20, 22, 1.0], 2))


# -- fine-tuning at meta test -------------------------------------------------
def reference_finetune(layer: torch.nn.Module, feats, labels_, batches,
                       optimizer_cfg: dict) -> torch.nn.Module:
    """The original's per-task loop: the new layer, its optimizer over all
    its parameters, one cross-entropy step per support batch."""
    optimizer_cfg = dict(optimizer_cfg)
    optimizer = getattr(torch.optim,
                        optimizer_cfg.pop('type'))(layer.parameters(),
                                                   **optimizer_cfg)
    for indices in batches:
        optimizer.zero_grad()
        F.cross_entropy(layer(feats[indices]), labels_[indices]).backward()
        optimizer.step()
    return layer


@pytest.mark.parametrize('method, name', [
    ('baseline', 'baseline_conv4_1xb64_mini-imagenet_5way-5shot.py'),
    ('baseline_plus',
     'baseline-plus_resnet12_1xb64_mini-imagenet_5way-1shot.py'),
])
def test_finetuning_follows_the_reference_loop(method, name):
    cfg = config(method, name)
    finetune = cfg.test_cfg.meta_test_cfg.support.train
    head = build(cfg.model.meta_test_head)
    head.update_finetune_cfg(finetune)
    num_shots = 5 if '5shot' in name else 1
    dim = head.in_channels
    generator = torch.Generator().manual_seed(0)
    feats = torch.randn(1, 5 * num_shots, dim, generator=generator)
    support_labels = torch.arange(5).repeat_interleave(num_shots)[None]
    state = head.adapt(feats, support_labels, 5, task_seeds=[7])

    # the task's generator draws the new layer, then the batches
    task_generator = torch.Generator().manual_seed(7)
    initial = head.init_task_state(5, [task_generator], torch.device('cpu'))
    batches = head._batch_indices([task_generator], 5 * num_shots,
                                  finetune.num_steps, finetune.batch_size,
                                  finetune.drop_last)
    assert len(batches) == finetune.num_steps
    # drop_last: every batch is whole
    assert {len(batch[0]) for batch in batches} == {4}
    if method == 'baseline':
        layer = torch.nn.Linear(dim, 5)
        with torch.no_grad():
            layer.weight.copy_(initial['weight'][0])
            layer.bias.copy_(initial['bias'][0])
    else:
        temperature = float(head.temperature)

        class WeightNormCosine(torch.nn.Module):

            def __init__(self):
                super().__init__()
                self.fc = torch.nn.utils.parametrizations.weight_norm(
                    torch.nn.Linear(dim, 5, bias=False))

            def forward(self, x):
                x = x / (x.norm(dim=1, keepdim=True) + 1e-5)
                return temperature * self.fc(x)

        layer = WeightNormCosine()
        with torch.no_grad():
            layer.fc.parametrizations.weight.original1.copy_(
                initial['weight'][0])
            layer.fc.parametrizations.weight.original0.copy_(
                initial['gain'][0][:, None])
    reference_finetune(layer, feats[0], support_labels[0],
                       [batch[0] for batch in batches], finetune.optimizer)
    query = torch.randn(1, 20, dim, generator=generator)
    with torch.no_grad():
        expected = layer(query[0])
    torch.testing.assert_close(
        head.predict(state, query)[0], expected, rtol=1e-4, atol=1e-4)


def test_neg_margin_finetuning_keeps_the_last_small_batch():
    cfg = config('neg_margin',
                 'neg-margin_cosine_conv4_1xb64_mini-imagenet_5way-1shot.py')
    finetune = cfg.test_cfg.meta_test_cfg.support.train
    assert (finetune.num_steps, finetune.batch_size,
            finetune.drop_last) == (150, 4, False)
    head = build(cfg.model.meta_test_head)
    batches = head._batch_indices([torch.Generator().manual_seed(0)], 5,
                                  finetune.num_steps, 4, finetune.drop_last)
    # 5 support samples: batches of 4 and 1 alternate, each pair a
    # permutation of the support set
    assert [len(batch[0]) for batch in batches[:4]] == [4, 1, 4, 1]
    for first, second in zip(batches[0::2], batches[1::2]):
        assert sorted(torch.cat([first[0],
                                 second[0]]).tolist()) == list(range(5))
