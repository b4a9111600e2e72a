"""FSCE: the supervised contrastive loss against hand-computed values, its
decay hook, and the contrastive RoI/box heads training on toy data."""
import copy
import math

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.engine import ContrastiveLossDecayHook
from mmfewshot.detection.models import SupervisedContrastiveLoss
from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError

TOY = 'configs/detection/fsce/toy/'
CONTRASTIVE = (TOY +
               'fsce_tiny-r18_fpn_contrastive-loss_toy_5shot-fine-tuning.py')
ONE_SHOT = TOY + 'fsce_tiny-r18_fpn_toy_1shot-fine-tuning.py'

FEATURES = [[1., 0.], [0., 1.], [1., 0.], [0.6, 0.8], [-0.8, 0.6]]
LABELS = [0, 1, 0, 1, 2]
IOUS = [0.9, 0.7, 0.4, 0.95, 0.6]


def reference_loss(features, labels, ious, temperature, threshold, reweight):
    """The FSCE formula written out with scalars."""
    losses = []
    for i, (z_i, y_i, u_i) in enumerate(zip(features, labels, ious)):
        if u_i < threshold:
            continue
        sims = [
            sum(a * b for a, b in zip(z_i, z_j)) / temperature
            for z_j in features
        ]
        log_norm = math.log(
            sum(math.exp(s) for k, s in enumerate(sims) if k != i))
        positives = [
            sims[j] - log_norm for j, y_j in enumerate(labels)
            if j != i and y_j == y_i
        ]
        same = sum(1 for y_j in labels if y_j == y_i)
        losses.append(-sum(positives) / same * reweight(u_i))
    return sum(losses) / len(losses)


@pytest.mark.parametrize('reweight_type, reweight',
                         [('none', lambda u: 1.), ('linear', lambda u: u),
                          ('exp', lambda u: math.exp(u) - 1)])
def test_contrastive_loss_matches_the_formula(reweight_type, reweight):
    loss = SupervisedContrastiveLoss(
        temperature=0.5,
        iou_threshold=0.5,
        reweight_type=reweight_type,
        loss_weight=2.0)
    features = torch.tensor(FEATURES, requires_grad=True)
    value = loss(features, torch.tensor(LABELS), torch.tensor(IOUS))
    expected = 2.0 * reference_loss(FEATURES, LABELS, IOUS, 0.5, 0.5, reweight)
    assert value.item() == pytest.approx(expected, rel=1e-5)
    value.backward()
    assert torch.isfinite(features.grad).all() and features.grad.abs().sum()
    # the decay rate multiplies the weight
    decayed = loss(
        features, torch.tensor(LABELS), torch.tensor(IOUS), decay_rate=0.25)
    assert decayed.item() == pytest.approx(expected / 4, rel=1e-5)


def test_iou_threshold_filters_anchors_and_no_anchor_is_a_zero_loss():
    strict = SupervisedContrastiveLoss(temperature=0.5, iou_threshold=0.92)
    value = strict(
        torch.tensor(FEATURES), torch.tensor(LABELS), torch.tensor(IOUS))
    # only anchor 3 (IoU 0.95) is kept
    assert value.item() == pytest.approx(
        reference_loss(FEATURES, LABELS, IOUS, 0.5, 0.92, lambda u: 1.),
        rel=1e-5)
    none = SupervisedContrastiveLoss(iou_threshold=0.99)
    features = torch.tensor(FEATURES, requires_grad=True)
    zero = none(features, torch.tensor(LABELS), torch.tensor(IOUS))
    assert zero.item() == 0 and zero.requires_grad
    zero.backward()
    assert torch.equal(features.grad, torch.zeros_like(features))


def test_contrastive_loss_arguments_are_checked():
    with pytest.raises(ConfigError, match='temperature'):
        SupervisedContrastiveLoss(temperature=0)
    with pytest.raises(ConfigError, match="'square'"):
        SupervisedContrastiveLoss(reweight_type='square')
    with pytest.raises(ValueError, match='3 features, 2 labels'):
        SupervisedContrastiveLoss()(torch.zeros(3, 2), torch.zeros(2),
                                    torch.zeros(3))


class _Head:

    def __init__(self):
        self.rates = []

    def set_decay_rate(self, rate):
        self.rates.append(rate)


class _Runner:

    def __init__(self, model):
        self.model = model
        self.iter = 0


def test_decay_hook_halves_the_weight_after_each_step():
    model = torch.nn.Module()
    model.roi_head = torch.nn.Module()
    head = _Head()
    model.roi_head.bbox_head = head
    hook = ContrastiveLossDecayHook(decay_steps=[3, 6], decay_rate=0.5)
    # with and without a model wrapper
    for wrapped in (model, torch.nn.DataParallel(model)):
        runner = _Runner(wrapped)
        head.rates.clear()
        for iteration in range(8):
            runner.iter = iteration
            hook.before_train_iter(runner, iteration)
        # iterations 1-3 at 1, 4-6 at 0.5, from 7 on at 0.25
        assert head.rates == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
    with pytest.raises(ConfigError, match='decay_steps'):
        ContrastiveLossDecayHook(decay_steps=3000)


def toy_batch(seed, size=64):
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for index in range(2):
        inputs.append(
            torch.randint(
                0,
                255, (3, size, size),
                generator=generator,
                dtype=torch.uint8))
        sample = DetDataSample(
            metainfo=dict(
                img_id=index,
                img_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[8., 8., 40., 40.], [20., 10., 60., 50.]]),
            labels=torch.tensor([index, 6]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def build(config):
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim_wrapper = build_optim_wrapper(
            model,
            dict(
                type='OptimWrapper',
                constructor='ExcludeFrozenOptimWrapperConstructor',
                optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    return model, optim_wrapper


def test_contrastive_fsce_trains_and_predicts():
    torch.manual_seed(0)
    model, optim_wrapper = build(CONTRASTIVE)
    before = copy.deepcopy(model.state_dict())
    model.train()
    batch = toy_batch(0)
    totals = []
    for _ in range(6):
        losses = model.train_step(batch, optim_wrapper)
        assert {'loss_cls', 'loss_bbox', 'loss_contrast',
                'loss_rpn_cls'} <= set(losses)
        assert all(math.isfinite(float(v)) for v in losses.values())
        totals.append(float(losses['loss']))
    assert totals[-1] < totals[0]
    after = model.state_dict()
    frozen = [n for n in before if n.startswith('backbone.')]
    assert frozen and all(torch.equal(before[n], after[n]) for n in frozen)
    assert not torch.equal(before['neck.fpn_convs.0.conv.weight'],
                           after['neck.fpn_convs.0.conv.weight'])
    assert not torch.equal(
        before['roi_head.bbox_head.contrastive_head.0.weight'],
        after['roi_head.bbox_head.contrastive_head.0.weight'])
    model.eval()
    batch = toy_batch(1)
    batch['data_samples'][0].set_metainfo(
        dict(ori_shape=(128, 128), scale_factor=(0.5, 0.5)))
    with torch.no_grad():
        result = model.test_step(batch)[0]
    boxes = result.pred_instances.bboxes
    assert len(boxes) and boxes.max() <= 128 + 1e-3
    # the prediction of the first image is in its 128x128 original pixels
    assert boxes.max() > 64


def test_one_shot_fsce_trains_only_the_last_layers_and_second_fc():
    model, _ = build(ONE_SHOT)
    trained = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    assert trained == [
        'roi_head.bbox_head.fc_cls.weight', 'roi_head.bbox_head.fc_reg.bias',
        'roi_head.bbox_head.fc_reg.weight',
        'roi_head.bbox_head.shared_fcs.1.bias',
        'roi_head.bbox_head.shared_fcs.1.weight'
    ]
    assert model.train_cfg.rcnn.sampler.num == 32


# split -> shots -> (iterations, milestones, gamma, warm-up iterations)
SCHEDULES = {
    1: {
        1: (6000, [3500], 0.1, 20),
        2: (7000, [5000], 0.1, 20),
        3: (8000, [4000, 6000], 0.5, 200),
        5: (9000, [5000, 7000], 0.5, 200),
        10: (15000, [8000, 13000], 0.5, 200)
    },
    2: {
        1: (3000, [2000], 0.1, 20),
        2: (5000, [3000], 0.1, 20),
        3: (9000, [5000, 7000], 0.5, 200),
        5: (9000, [5000, 7000], 0.5, 100),
        10: (12000, [7000, 9000], 0.5, 200)
    },
    3: {
        1: (8000, [6000], 0.1, 20),
        2: (8000, [6000], 0.1, 20),
        3: (10000, [6000, 8000], 0.5, 200),
        5: (12000, [8000, 10000], 0.3, 200),
        10: (15000, [8000, 13000], 0.5, 200)
    }
}
CONTRASTIVE_SETTINGS = {
    3: (0.6, 0.2, [3000, 6000]),
    5: (0.7, 0.5, [4000, 7000]),
    10: (0.8, 0.5, [6000, 10000])
}


@pytest.mark.parametrize('split', [1, 2, 3])
def test_voc_fine_tuning_settings_are_the_originals(split):
    folder = f'configs/detection/fsce/voc/split{split}/'
    for shots, (iters, milestones, gamma, warmup) in SCHEDULES[split].items():
        plain = Config.fromfile(
            f'{folder}fsce_r101_fpn_voc-split{split}_{shots}shot-fine-'
            'tuning.py')
        configs = [plain]
        if shots in CONTRASTIVE_SETTINGS:
            configs.append(
                Config.fromfile(f'{folder}fsce_r101_fpn_contrastive-loss_voc-'
                                f'split{split}_{shots}shot-fine-tuning.py'))
        for cfg in configs:
            assert cfg.optim_wrapper.optimizer.lr == 0.001
            assert cfg.train_cfg.max_iters == iters
            warm, step = cfg.param_scheduler
            assert (warm.type, warm.end) == ('LinearLR', warmup)
            assert step.milestones == milestones
            assert step.get('gamma', 0.1) == gamma
            assert cfg.model.type == 'FSCE'
            assert cfg.model.train_cfg.rpn_proposal.max_per_img == 2000
            assert cfg.model.train_cfg.rcnn.sampler.num == 256
            assert cfg.model.train_cfg.rcnn.assigner.pos_iou_thr == 0.4
            dataset = cfg.train_dataloader.dataset
            assert dataset.ann_cfg[0].setting == f'SPLIT{split}_{shots}SHOT'
            assert dataset.num_novel_shots == dataset.num_base_shots == shots
            expected_frozen = ['backbone'] if shots >= 3 else [
                'backbone', 'neck', 'rpn_head',
                'roi_head.bbox_head.shared_fcs.0'
            ]
            assert cfg.model.frozen_parameters == expected_frozen
        if shots in CONTRASTIVE_SETTINGS:
            iou, weight, decay = CONTRASTIVE_SETTINGS[shots]
            head = configs[1].model.roi_head
            assert head.type == 'ContrastiveRoIHead'
            assert head.bbox_head.type == 'ContrastiveBBoxHead'
            loss = head.bbox_head.loss_contrast
            assert (loss.temperature, loss.iou_threshold,
                    loss.loss_weight) == (0.2, iou, weight)
            hook = configs[1].custom_hooks[0]
            assert hook.type == 'ContrastiveLossDecayHook'
            assert hook.decay_steps == decay and hook.decay_rate == 0.5
