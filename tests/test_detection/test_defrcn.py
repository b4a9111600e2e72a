"""DeFRCN, component by component against the authors' formulas
(er-muyue/DeFRCN: ``gdl.py``, ``rcnn.py``, ``fast_rcnn.py``,
``calibration_layer.py``), and the detector on toy data: a training step,
model initialisation with the K-shot set and calibrated prediction, the
tools end to end, and every config's schedule against the authors'."""
import copy
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.apis import (inference_detector, init_detector,
                                      process_support_images)
from mmfewshot.detection.engine import run_model_init
from mmfewshot.detection.models import (ClsDropoutBBoxHead,
                                        GradientDecoupledLayer,
                                        PrototypicalCalibrationBlock)
from mmfewshot.detection.models.layers import calibrate_scores
from mmfewshot.detection.registry import DATASETS, MODELS
from mmfewshot.utils import CheckpointError, ConfigError

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs/detection/defrcn'
TOY = CONFIGS / 'toy'
TOY_BASE = str(TOY / 'defrcn_tiny-r18_c4_toy_base-training.py')
TOY_ONE_SHOT = str(TOY / 'defrcn_tiny-r18_c4_gfsod_toy_1shot-fine-tuning.py')


# --------------------------------------------------------------------------
# Gradient Decoupled Layer
# --------------------------------------------------------------------------
def test_gdl_forward_is_the_affine_map_initialised_as_the_authors():
    layer = GradientDecoupledLayer(in_channels=3, backward_scale=0.1)
    # AffineLayer(bias=True): weight 1, bias 0, shape (1, C, 1, 1)
    assert layer.weight.shape == layer.bias.shape == (1, 3, 1, 1)
    assert torch.equal(layer.weight, torch.ones(1, 3, 1, 1))
    assert torch.equal(layer.bias, torch.zeros(1, 3, 1, 1))
    x = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2)
    assert torch.equal(layer(x), x)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([2., -1., .5]).view(1, 3, 1, 1))
        layer.bias.copy_(torch.tensor([1., 0., -3.]).view(1, 3, 1, 1))
    y = layer(x)
    assert y[1, 0, 1, 1].item() == 2 * 15 + 1
    assert y[0, 1, 0, 0].item() == -4
    assert y[1, 2, 0, 1].item() == 0.5 * 21 - 3


@pytest.mark.parametrize('scale', [0.0, 0.001, 0.75, 1.0])
def test_gdl_backward_scales_the_input_gradient_only(scale):
    layer = GradientDecoupledLayer(in_channels=2, backward_scale=scale)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([3., -2.]).view(1, 2, 1, 1))
        layer.bias.copy_(torch.tensor([.5, 1.]).view(1, 2, 1, 1))
    x = torch.tensor([[[[1., 2.]], [[-1., 4.]]]], requires_grad=True)
    upstream = torch.tensor([[[[1., -1.]], [[2., .5]]]])
    layer(x).backward(upstream)
    # decouple_layer: grad_x = lambda * dL/d(affine input) = lambda * g * w
    expected_x = scale * upstream * layer.weight.detach()
    assert torch.allclose(x.grad, expected_x, atol=0, rtol=0)
    # the affine parameters get their full gradient, whatever lambda is
    assert torch.equal(layer.weight.grad.flatten(),
                       (upstream * x.detach()).sum((0, 2, 3)))
    assert torch.equal(layer.bias.grad.flatten(), upstream.sum((0, 2, 3)))


# --------------------------------------------------------------------------
# classifier dropout
# --------------------------------------------------------------------------
def _head(cls_dropout=0.8):
    head = ClsDropoutBBoxHead(
        cls_dropout=cls_dropout,
        with_avg_pool=True,
        roi_feat_size=4,
        in_channels=16,
        num_classes=3)
    head.init_weights()
    return head


def test_dropout_is_in_front_of_the_classifier_only():
    head = _head()
    x = torch.randn(6, 16, 4, 4)
    pooled = x.mean((2, 3))
    head.eval()
    cls_eval, reg_eval = head(x)
    assert torch.allclose(cls_eval, head.fc_cls(pooled), atol=1e-6)
    head.train()
    torch.manual_seed(3)
    cls_train, reg_train = head(x)
    # the regressor reads the pooled feature without dropout ...
    assert torch.allclose(reg_train, reg_eval, atol=1e-6)
    assert torch.allclose(reg_train, head.fc_reg(pooled), atol=1e-6)
    # ... the classifier reads it through inverted dropout of ratio 0.8
    torch.manual_seed(3)
    expected = head.fc_cls(F.dropout(pooled, 0.8, training=True))
    assert torch.allclose(cls_train, expected, atol=1e-6)
    assert not torch.allclose(cls_train, cls_eval, atol=1e-3)
    # without dropout the head is mmdet's BBoxHead
    plain = _head(0.0).train()
    assert torch.allclose(plain(x)[0], plain.fc_cls(pooled), atol=1e-6)
    with pytest.raises(ValueError, match='cls_dropout'):
        _head(1.0)


# --------------------------------------------------------------------------
# Prototypical Calibration Block
# --------------------------------------------------------------------------
def test_calibration_formula_on_hand_made_detections():
    prototypes = {0: torch.tensor([1., 0., 0.]), 2: torch.tensor([0., 2., 0.])}
    scores = torch.tensor([0.9, 0.6, 0.5, 0.04, 0.3, 0.8])
    labels = torch.tensor([2, 2, 0, 2, 1, 0])
    embeddings = torch.tensor([
        [0., 3., 0.],  # cos 1 with class 2
        [1., 1., 0.],  # cos 1/sqrt(2)
        [0., 1., 0.],  # cos 0 with class 0
        [0., 1., 0.],  # score 0.04 <= 0.05: kept
        [1., 0., 0.],  # class 1 has no prototype: kept
        [-1., 0., 0.],  # class 0 is not calibrated below: kept
    ])
    new = calibrate_scores(scores, labels, embeddings, prototypes, [2, 0])
    expected = torch.tensor([
        0.5 * 0.9 + 0.5, 0.5 * 0.6 + 0.5 / math.sqrt(2), 0.25, 0.04, 0.3,
        0.5 * 0.8 - 0.5
    ])
    assert torch.allclose(new, expected, atol=1e-6)
    # only the classes to calibrate (the authors skip base classes)
    new = calibrate_scores(scores, labels, embeddings, prototypes, [2])
    assert torch.allclose(new[[2, 5]], scores[[2, 5]])
    assert torch.allclose(new[:2], expected[:2], atol=1e-6)
    # other alpha and range; the input is not changed
    new = calibrate_scores(
        scores,
        labels,
        embeddings,
        prototypes, [2, 0],
        alpha=0.25,
        score_range=(0.55, 0.85))
    assert torch.allclose(
        new,
        torch.tensor([
            0.9, 0.25 * 0.6 + 0.75 / math.sqrt(2), 0.5, 0.04, 0.3,
            0.25 * 0.8 - 0.75
        ]),
        atol=1e-6)
    assert scores[0].item() == pytest.approx(0.9)


def test_calibration_of_the_authors_loop_on_sorted_detections():
    """The authors' ``execute_calibration``: detections sorted by score,
    re-scored from the first above PCB_UPPER to the last above PCB_LOWER,
    skipping excluded class ids, with sklearn's cosine similarity."""
    generator = torch.Generator().manual_seed(0)
    scores = torch.rand(40, generator=generator).sort(descending=True)[0]
    labels = torch.randint(0, 6, (40, ), generator=generator)
    embeddings = torch.randn(40, 8, generator=generator)
    prototypes = {c: torch.randn(8, generator=generator) for c in range(6)}
    exclude, alpha, upper, lower = [0, 1, 2], 0.5, 1.0, 0.05
    reference = scores.clone().numpy()
    ileft = int((scores > upper).sum())
    iright = int((scores > lower).sum())
    for i in range(ileft, iright):
        label = int(labels[i])
        if label in exclude:
            continue
        a = embeddings[i].numpy().reshape(1, -1)
        b = prototypes[label].numpy().reshape(1, -1)
        cos = (a @ b.T)[0, 0] / (np.linalg.norm(a) * np.linalg.norm(b))
        reference[i] = reference[i] * alpha + cos * (1 - alpha)
    new = calibrate_scores(scores, labels, embeddings, prototypes, [3, 4, 5])
    assert np.allclose(new.numpy(), reference, atol=1e-6)


def _resnet18_block(checkpoint, **kwargs):
    kwargs.setdefault('fc', dict(in_features=512, out_features=1000))
    return PrototypicalCalibrationBlock(
        checkpoint=checkpoint,
        backbone=dict(
            type='ResNet',
            depth=18,
            out_indices=(3, ),
            style='pytorch',
            norm_eval=True,
            init_cfg=None),
        **kwargs)


@pytest.fixture(scope='module')
def torchvision_resnet18(tmp_path_factory):
    """A randomly initialised torchvision ResNet-18 (BN statistics moved off
    0/1) saved as torchvision saves its weights, and as mmpretrain does."""
    torch.manual_seed(0)
    net = torchvision.models.resnet18()
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    net.eval()
    folder = tmp_path_factory.mktemp('pcb')
    torchvision_file = folder / 'resnet18.pth'
    torch.save(net.state_dict(), torchvision_file)
    mmpretrain_state = {
        (f'head.{key}' if key.startswith('fc.') else f'backbone.{key}'): value
        for key, value in net.state_dict().items()
    }
    mmpretrain_file = folder / 'resnet18_mmpretrain.pth'
    torch.save(dict(state_dict=mmpretrain_state, meta={}), mmpretrain_file)
    # as a C4 detector stores it: res5 in the RoI head
    detector_state = {
        (f'roi_head.shared_head.{key}'
         if key.startswith('layer4.') else f'backbone.{key}'): value
        for key, value in net.state_dict().items() if not key.startswith('fc')
    }
    detector_file = folder / 'resnet18_c4_detector.pth'
    torch.save(dict(state_dict=detector_state, meta={}), detector_file)
    return net, str(torchvision_file), str(mmpretrain_file), str(
        detector_file)


def test_embedding_is_the_authors_roi_feature(torchvision_resnet18):
    """``fc(ROIAlignV2(layer4, box, 1x1, 1/32))`` of the torchvision model,
    for torchvision and mmpretrain checkpoints."""
    net, torchvision_file, mmpretrain_file, detector_file = \
        torchvision_resnet18
    image = torch.randn(1, 3, 150, 200)
    boxes = torch.tensor([[10., 20., 90., 130.], [100.5, 5., 199., 60.]])
    with torch.no_grad():
        x = net.maxpool(net.relu(net.bn1(net.conv1(image))))
        feature = net.layer4(net.layer3(net.layer2(net.layer1(x))))
        rois = torch.cat([torch.zeros(2, 1), boxes], dim=1)
        pooled = torchvision.ops.roi_align(
            feature, rois, 1, 1 / 32, sampling_ratio=0, aligned=True)
        expected = net.fc(pooled.flatten(1))
    for path in (torchvision_file, mmpretrain_file):
        block = _resnet18_block(path)
        embeddings = block.embed(image, [boxes])
        assert embeddings.shape == (2, 1000)
        assert torch.allclose(embeddings, expected, atol=1e-4), path
    # the classifier is no part of the detector's weights
    assert not list(block.parameters()) and not block.state_dict()
    # a C4 detector's backbone and res5 head as the classifier's backbone
    block = _resnet18_block(
        detector_file,
        fc=None,
        rename_prefixes={'roi_head.shared_head.': 'backbone.'})
    assert torch.allclose(
        block.embed(image, [boxes]), pooled.flatten(1), atol=1e-4)


def test_calibration_weights_errors_name_the_key_and_file(
        torchvision_resnet18, tmp_path):
    missing = str(tmp_path / 'nowhere' / 'resnet101.pth')
    block = _resnet18_block(missing)
    with pytest.raises(FileNotFoundError) as error:
        block.load_weights()
    assert str(error.value).startswith(
        f'calibration.checkpoint: {missing} does not exist')
    assert '\n' not in str(error.value)
    torchvision_file = torchvision_resnet18[1]
    deeper = PrototypicalCalibrationBlock(
        checkpoint=torchvision_file,
        backbone=dict(
            type='ResNet',
            depth=34,
            out_indices=(3, ),
            style='pytorch',
            init_cfg=None),
        fc=dict(in_features=512, out_features=1000))
    with pytest.raises(
            CheckpointError,
            match='resnet18.pth does not fit '
            'the classifier backbone'):
        deeper.load_weights()
    with pytest.raises(ConfigError, match='calibrated_classes'):
        _resnet18_block(None, calibrated_classes='base')


def test_prototypes_are_class_means_and_only_novel_classes_are_rescored(
        torchvision_resnet18):
    torchvision_file = torchvision_resnet18[1]
    block = _resnet18_block(torchvision_file)
    images = torch.randn(2, 3, 96, 128)
    boxes = [
        torch.tensor([[0., 0., 60., 60.], [30., 10., 120., 90.]]),
        torch.tensor([[5., 5., 50., 80.]])
    ]
    labels = torch.tensor([1, 2, 1])
    embeddings = block.add_support(images[:1], boxes[:1], labels[:2])
    embeddings = torch.cat(
        [embeddings,
         block.add_support(images[1:], boxes[1:], labels[2:])])
    block.build_prototypes(
        dict(classes=('a', 'b', 'c'), novel_classes=('c', )))
    assert sorted(block.prototypes) == [1, 2]
    assert torch.allclose(
        block.prototypes[1], (embeddings[0] + embeddings[2]) / 2, atol=1e-5)
    assert block.calibrated_labels == [2]
    # a detection of novel class c on its own support box: cos 1
    scores = block.rescore(images[:1], boxes[0], torch.tensor([0.4, 0.4]),
                           torch.tensor([1, 2]))
    assert scores[0].item() == pytest.approx(0.4)
    assert scores[1].item() == pytest.approx(0.5 * 0.4 + 0.5, abs=1e-5)
    block.reset()
    with pytest.raises(RuntimeError, match='no support boxes'):
        block.build_prototypes()


# --------------------------------------------------------------------------
# the detector on toy data
# --------------------------------------------------------------------------
@pytest.fixture(scope='module')
def toy_cwd(tmp_path_factory, load_script):
    """A working directory with a small ``data/toy_det``."""
    cwd = tmp_path_factory.mktemp('defrcn_toy')
    load_script('tools/data/detection/make_toy_dataset.py').main([
        str(cwd / 'data/toy_det'), '--num-trainval', '32', '--num-test', '4',
        '--size', '96', '--shots', '1', '--split-seeds', '0'
    ])
    return cwd


def _build(cfg):
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model


def test_rpn_sends_no_gradient_into_the_backbone_and_the_roi_head_a_scaled_one(
):
    cfg = Config.fromfile(TOY_BASE)
    torch.manual_seed(0)
    model = _build(cfg)
    feats = model.extract_feat(torch.randn(2, 3, 64, 64))
    rpn_feats, roi_feats = model.decouple(feats)
    conv = model.backbone.conv1.weight
    (rpn_feats[0]**2).sum().backward(retain_graph=True)
    assert torch.count_nonzero(conv.grad) == 0
    assert model.rpn_gdl.weight.grad.abs().sum() > 0
    conv.grad = None
    (roi_feats[0]**2).sum().backward(retain_graph=True)
    scaled = conv.grad.clone()
    conv.grad = None
    (feats[0]**2).sum().backward()
    # the affine map starts as the identity: 0.75 x the plain gradient
    expected = 0.75 * conv.grad
    assert torch.allclose(
        scaled, expected, rtol=1e-4, atol=1e-5 * expected.abs().max())


def test_fine_tuning_freezes_what_the_authors_freeze():
    for path in (CONFIGS / 'voc/split1/'
                 'defrcn_r101_c4_gfsod_voc-split1_1shot-fine-tuning.py',
                 CONFIGS /
                 'coco/defrcn_r101_c4_fsod_coco_10shot-fine-tuning.py',
                 TOY_ONE_SHOT):
        cfg = Config.fromfile(str(path))
        with DefaultScope.overwrite_default_scope('mmfewshot_det'), \
                torch.device('meta'):
            model = MODELS.build(cfg.model)
        trained = {n for n, p in model.named_parameters() if p.requires_grad}
        prefixes = {n.split('.')[0] + '.' + n.split('.')[1] for n in trained}
        # FREEZE_AT 3: stem, res2 and res3 frozen; FREEZE_FEAT: res5 frozen
        assert not any(
            n.startswith(('backbone.conv1', 'backbone.layer1.',
                          'backbone.layer2.', 'roi_head.shared'))
            for n in trained), path
        assert {
            'backbone.layer3', 'rpn_head.rpn_conv', 'rpn_head.rpn_cls',
            'rpn_gdl.weight', 'roi_gdl.bias', 'roi_head.bbox_head'
        } <= prefixes, path
        assert model.roi_head.bbox_head.cls_dropout.p == 0.8
        assert model.rpn_gdl.backward_scale == 0.0
        scale = 0.01 if 'coco' in str(path) else 0.001
        assert model.roi_gdl.backward_scale == scale


@pytest.fixture(scope='module')
def toy_fine_tuning(toy_cwd):
    """The 1-shot toy config, with a random base model saved as the
    surgered checkpoint (the calibration's stand-in classifier reads its
    backbone)."""
    previous = os.getcwd()
    os.chdir(toy_cwd)
    try:
        cfg = Config.fromfile(TOY_ONE_SHOT)
        checkpoint = toy_cwd / 'base.pth'
        torch.manual_seed(1)
        base = _build(Config.fromfile(TOY_BASE))
        torch.save(dict(state_dict=base.state_dict(), meta={}), checkpoint)
        cfg.model.calibration.checkpoint = str(checkpoint)
        cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
        cfg.train_dataloader.dataset.save_dataset = False
        with DefaultScope.overwrite_default_scope('mmfewshot_det'):
            train_set = DATASETS.build(cfg.train_dataloader.dataset)
            test_set = DATASETS.build(cfg.test_dataloader.dataset)
        return cfg, base, train_set, test_set
    finally:
        os.chdir(previous)


def test_training_step_and_calibrated_prediction(toy_fine_tuning, toy_cwd,
                                                 monkeypatch):
    monkeypatch.chdir(toy_cwd)
    cfg, base, train_set, test_set = toy_fine_tuning
    torch.manual_seed(0)
    model = _build(cfg)
    model.load_state_dict(
        {
            key: value
            for key, value in base.state_dict().items()
            if not key.startswith('roi_head.bbox_head.')
        },
        strict=False)
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        from mmengine.optim import build_optim_wrapper
        wrapper = build_optim_wrapper(model, wrapper_cfg)
    batch = pseudo_collate([train_set[i] for i in range(4)])
    before = copy.deepcopy(model.state_dict())
    model.train()
    losses = model.train_step(batch, wrapper)
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls',
            'loss_bbox'} <= set(losses)
    assert all(math.isfinite(float(v)) for v in losses.values())
    after = model.state_dict()
    assert torch.equal(after['roi_head.shared_head.layer4.0.conv1.weight'],
                       before['roi_head.shared_head.layer4.0.conv1.weight'])
    assert not torch.equal(after['roi_gdl.weight'], before['roi_gdl.weight'])
    # optimizer: weight decay 5e-5, biases 1e-4 (Detectron2 0.3)
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            decay = 1e-4 if names[id(param)].endswith('.bias') else 5e-5
            assert group['weight_decay'] == pytest.approx(decay)

    # model initialisation: the K-shot instances at original resolution
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        support_set = DATASETS.build(
            dict(
                copy.deepcopy(cfg.val_cfg.model_init_dataloader.dataset),
                ann_cfg=[
                    dict(
                        type='data_list',
                        data_list=train_set.get_data_list(),
                        classes=train_set.metainfo['classes'])
                ],
                classes=list(train_set.metainfo['classes']),
                novel_classes=list(train_set.metainfo['novel_classes']),
                instance_wise=True))
    loader = torch.utils.data.DataLoader(
        support_set, batch_size=1, collate_fn=pseudo_collate)
    model.eval()
    run_model_init(model, loader)
    assert sorted(model.support_cache) == list(range(8))
    assert model.calibration.calibrated_labels == [6, 7]
    assert model.dataset_meta['novel_classes'] == ('star', 'diamond')

    # prediction: calibrated scores of the novel classes only
    model.test_cfg.rcnn.score_thr = 0.05
    data = pseudo_collate([test_set[i] for i in range(2)])
    assert data['data_samples'][0].ori_img.shape[:2] == (96, 96)
    with torch.no_grad():
        calibrated = model.test_step(copy.deepcopy(data))
        block = model.calibration
        model.calibration = None
        plain = model.test_step(copy.deepcopy(data))
        model.calibration = block
    assert 'ori_img' not in calibrated[0].metainfo
    changed = 0
    for ours, theirs in zip(calibrated, plain):
        ours, theirs = ours.pred_instances, theirs.pred_instances
        assert torch.equal(ours.bboxes, theirs.bboxes)
        novel = theirs.labels >= 6
        assert torch.equal(ours.scores[~novel], theirs.scores[~novel])
        changed += int((ours.scores[novel] != theirs.scores[novel]).sum())
    assert changed > 0
    # without the image as loaded: a one-line error naming the transform
    for sample in data['data_samples']:
        del sample.ori_img
    with pytest.raises(ConfigError, match='KeepOriginalImage'), \
            torch.no_grad():
        model.test_step(data)


# --------------------------------------------------------------------------
# configs against the authors'
# --------------------------------------------------------------------------
# (max iterations, step) of the authors' fine-tuning configs
AUTHORS = dict(
    voc=dict(
        fsod={
            1: (800, 640),
            2: (1200, 960),
            3: (1600, 1280),
            5: (2000, 1600),
            10: (4000, 3200)
        },
        gfsod={
            1: (1000, 800),
            2: (1500, 1200),
            3: (2000, 1600),
            5: (2500, 2000),
            10: (4000, 3200)
        }),
    coco=dict(
        fsod={
            1: (1000, 800),
            2: (1500, 1200),
            3: (2000, 1600),
            5: (2500, 2000),
            10: (2500, 2000),
            30: (4000, 3200)
        },
        gfsod={
            1: (3200, 2560),
            2: (4000, 3200),
            3: (4800, 3840),
            5: (6000, 4800),
            10: (6000, 4800),
            30: (12000, 9600)
        }))


def _fine_tuning_configs():
    for dataset, settings in AUTHORS.items():
        for setting, table in settings.items():
            for shots, schedule in table.items():
                for split in ((1, 2, 3) if dataset == 'voc' else (None, )):
                    if split is None:
                        path = (f'coco/defrcn_r101_c4_{setting}_coco_'
                                f'{shots}shot-fine-tuning.py')
                    else:
                        path = (f'voc/split{split}/defrcn_r101_c4_{setting}_'
                                f'voc-split{split}_{shots}shot-fine-tuning.py')
                    yield dataset, setting, shots, split, schedule, path


def test_fine_tuning_configs_follow_the_authors():
    seen = 0
    for dataset, setting, shots, split, (iters, step), path in \
            _fine_tuning_configs():
        cfg = Config.fromfile(str(CONFIGS / path))
        seen += 1
        assert cfg.train_cfg.max_iters == iters, path
        assert [s.milestones for s in cfg.param_scheduler] == [[step]]
        assert cfg.optim_wrapper.optimizer.lr == 0.01
        assert cfg.optim_wrapper.optimizer.weight_decay == 5e-5
        assert cfg.train_dataloader.batch_size * 8 == 16
        dataset_cfg = cfg.train_dataloader.dataset
        # the split seed is chosen as in TFA's configs (ann_cfg[0].seed)
        assert dataset_cfg.ann_cfg[0].method == 'TFA'
        assert 'seed' not in dataset_cfg.ann_cfg[0]
        assert dataset_cfg.num_novel_shots == shots
        # the authors' K-shot loader reads difficult boxes as targets
        assert dataset_cfg.get('use_difficult', True)
        prefix = 'NOVEL' if setting == 'fsod' else 'ALL'
        suffix = '' if split is None else f'_SPLIT{split}'
        assert dataset_cfg.classes == f'{prefix}_CLASSES{suffix}'
        assert cfg.val_dataloader.dataset.classes == dataset_cfg.classes
        num_classes = dict(
            voc=dict(fsod=5, gfsod=20), coco=dict(fsod=20,
                                                  gfsod=80))[dataset][setting]
        assert cfg.model.roi_head.bbox_head.num_classes == num_classes
        assert cfg.model.roi_gdl.backward_scale == (0.001 if dataset == 'voc'
                                                    else 0.01)
        assert cfg.model.rpn_gdl.backward_scale == 0.0
        surgery = 'remove' if setting == 'fsod' else 'random_init'
        assert cfg.load_from.endswith(f'base_model_{surgery}_bbox_head.pth')
        assert cfg.model.calibration.alpha == 0.5
        assert cfg.val_cfg.model_init_dataloader.copy_from_train
    assert seen == 3 * 10 + 12
    for split in (1, 2, 3):
        base = Config.fromfile(
            str(CONFIGS / f'voc/split{split}/defrcn_r101_c4_voc-split{split}'
                '_base-training.py'))
        assert base.train_cfg.max_iters == 15000
        assert base.param_scheduler[1].milestones == [10000, 13300]
        assert base.param_scheduler[0].end == 100
        assert base.model.roi_gdl.backward_scale == 0.75
        assert base.model.roi_head.bbox_head.cls_dropout == 0.0 \
            if 'cls_dropout' in base.model.roi_head.bbox_head else True
        assert base.model.backbone.frozen_stages == 2
        assert base.model.roi_head.bbox_roi_extractor.roi_layer.output_size \
            == 7
        assert 'calibration' not in base.model
    coco = Config.fromfile(
        str(CONFIGS / 'coco/defrcn_r101_c4_coco_base-training.py'))
    assert coco.train_cfg.max_iters == 110000
    assert coco.param_scheduler[1].milestones == [85000, 100000]
    assert coco.model.roi_head.bbox_head.num_classes == 60


def test_split_seed_reaches_the_training_and_calibration_sets(
        toy_cwd, monkeypatch):
    """``ann_cfg.0.seed`` chooses the K-shot files, as in TFA's configs,
    and the calibration copies the training set at run time."""
    monkeypatch.chdir(toy_cwd)
    cfg = Config.fromfile(TOY_ONE_SHOT)
    cfg.merge_from_dict({'train_dataloader.dataset.ann_cfg.0.seed': 3})
    cfg.train_dataloader.dataset.save_dataset = False
    assert cfg.train_dataloader.dataset.ann_cfg[0].seed == 3
    with DefaultScope.overwrite_default_scope('mmfewshot_det'), \
            pytest.raises(FileNotFoundError, match=re.escape('seed3')):
        DATASETS.build(cfg.train_dataloader.dataset)
    assert cfg.val_cfg.model_init_dataloader.dataset.ann_cfg is None


# --------------------------------------------------------------------------
# the tools end to end
# --------------------------------------------------------------------------
QUICK = [
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False'
]


def _iterations(num):
    return [
        f'train_cfg.max_iters={num}', f'train_cfg.val_interval={num}',
        f'default_hooks.checkpoint.interval={num}'
    ]


def test_tools_base_training_surgery_fine_tuning_and_test(
        toy_cwd, load_script, run_tool, capsys, monkeypatch):
    """The recipe of `make demo-defrcn` for a few iterations: the fine-tuning
    run validates with calibration, its checkpoint carries the K-shot set,
    and the test tool calibrates from it alone; a missing classifier file is
    a one-line error before training."""
    monkeypatch.chdir(toy_cwd)
    train = load_script('tools/detection/train.py')
    test = load_script('tools/detection/test.py')
    surgery = load_script('tools/detection/misc/initialize_bbox_head.py')
    work = toy_cwd / 'work_dirs'
    status, _, err = run_tool(
        train, [TOY_BASE, '--work-dir',
                str(work / 'base'), '--cfg-options'] + QUICK + _iterations(2),
        capsys)
    assert status == 0, err
    surgered = work / 'base/base_model_random_init_bbox_head.pth'
    status, out, err = run_tool(surgery, [
        '--src1',
        str(work / 'base/iter_2.pth'), '--method', 'random_init', '--config',
        TOY_ONE_SHOT
    ], capsys)
    assert status == 0, err
    assert surgered.is_file()
    calibration = [
        f'load_from={surgered}', f'model.calibration.checkpoint={surgered}'
    ]
    status, _, err = run_tool(train, [
        TOY_ONE_SHOT, '--work-dir',
        str(work / 'missing'), '--cfg-options', f'load_from={surgered}',
        'model.calibration.checkpoint=data/nowhere.pth'
    ] + QUICK + _iterations(2), capsys)
    assert status == 2
    assert 'calibration.checkpoint: data/nowhere.pth does not exist' in err
    assert not (work / 'missing/iter_2.pth').exists()
    status, _, err = run_tool(train, [
        TOY_ONE_SHOT, '--work-dir',
        str(work / 'fine'), '--cfg-options'
    ] + calibration + QUICK + _iterations(2), capsys)
    assert status == 0, err
    log = next((work / 'fine').glob('*/*.log')).read_text()
    assert 'pascal_voc/NOVEL_CLASSES_AP50' in log
    checkpoint = torch.load(work / 'fine/iter_2.pth', weights_only=True)
    support_set = checkpoint['meta']['support_set']
    assert support_set['novel_classes'] == ['star', 'diamond']
    assert not any(
        key.startswith('calibration') for key in checkpoint['state_dict'])
    # the test tool: the support set from the checkpoint, no split files
    split_files = toy_cwd / 'data/toy_det/few_shot_ann'
    split_files.rename(toy_cwd / 'data/toy_det/hidden')
    try:
        status, out, err = run_tool(test, [
            TOY_ONE_SHOT,
            str(work / 'fine/iter_2.pth'), '--work-dir',
            str(work / 'test'), '--cfg-options',
            f'model.calibration.checkpoint={surgered}'
        ] + QUICK, capsys)
    finally:
        (toy_cwd / 'data/toy_det/hidden').rename(split_files)
    assert status == 0, err
    assert 'NOVEL_CLASSES' in out
    results = (work / 'test/test_results.json').read_text()
    assert 'pascal_voc/NOVEL_CLASSES_AP50' in results
    # inference on own images: prototypes of the support images given
    model = init_detector(
        TOY_ONE_SHOT,
        str(work / 'fine/iter_2.pth'),
        device='cpu',
        cfg_options={'model.calibration.checkpoint': str(surgered)})
    assert model.dataset_meta['novel_classes'] == ('star', 'diamond')
    images = sorted((toy_cwd / 'data/toy_det/JPEGImages').glob('*.jpg'))
    detected = process_support_images(
        model, [str(images[0]), str(images[1])], ['star', 'circle'],
        [[10, 10, 60, 60], None])
    assert detected == ['circle', 'star']
    assert model.calibration.calibrated_labels == [6]
    result = inference_detector(model, str(images[-1]))
    assert result.pred_instances.bboxes.shape[1] == 4
