"""TFA's cosine box classifier, frozen parameters and the optimizer that
leaves them out."""
import copy
import math

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from torch.nn.modules.batchnorm import _BatchNorm

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.models import CosineSimBBoxHead, CosineSimClassifier
from mmfewshot.detection.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

TOY_BASE = 'configs/detection/tfa/toy/tfa_tiny-r18_fpn_toy_base-training.py'
TOY_FINE_TUNE = ('configs/detection/tfa/toy/'
                 'tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py')


def build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    return model


def test_cosine_classifier_scores_are_scaled_cosines():
    layer = CosineSimClassifier(2, 3, scale=20., eps=0.)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1., 0.], [0., 2.], [-3., -4.]]))
    x = torch.tensor([[3., 4.], [0., -1.]])
    scores = layer(x)
    # cos([3,4],[1,0]) = 0.6, cos([3,4],[0,1]) = 0.8, cos([3,4],[-.6,-.8]) = -1
    expected = 20 * torch.tensor([[0.6, 0.8, -1.0], [0., -1., 0.8]])
    assert torch.allclose(scores, expected, atol=1e-6)
    assert layer.bias is None
    # the rows were renormalised in place (the TFA implementation)
    assert torch.allclose(layer.weight.norm(dim=1), torch.ones(3))


def test_cosine_classifier_eps_and_scale_invariance():
    layer = CosineSimClassifier(4, 5, scale=10.)
    x = torch.randn(6, 4)
    # scores do not depend on the feature norm (up to eps)
    assert torch.allclose(layer(x), layer(7 * x), atol=1e-3)
    assert layer(x).abs().max() <= 10 + 1e-4
    eps_layer = CosineSimClassifier(2, 1, scale=1., eps=1.)
    with torch.no_grad():
        eps_layer.weight.copy_(torch.tensor([[3., 4.]]))
    # w -> w / (5 + 1), then x / (|x| + 1): 25/6 / (5+1) = 0.694...
    value = eps_layer(torch.tensor([[3., 4.]]))
    assert value.item() == pytest.approx((3 * 3 + 4 * 4) / 6 / 6, abs=1e-6)


def test_learnable_scale_gets_a_gradient():
    layer = CosineSimClassifier(3, 2, scale=20., learnable_scale=True)
    assert isinstance(layer.scale, torch.nn.Parameter)
    assert layer.scale.item() == 20.
    layer(torch.randn(4, 3)).sum().backward()
    assert layer.scale.grad is not None and layer.scale.grad.abs() > 0
    assert 'scale' in dict(layer.named_parameters())
    fixed = CosineSimClassifier(3, 2)
    assert [n for n, _ in fixed.named_parameters()] == ['weight']


def test_cosine_head_builds_a_bias_free_cosine_classifier():
    head = CosineSimBBoxHead(
        in_channels=8,
        roi_feat_size=2,
        fc_out_channels=16,
        num_classes=5,
        scale=20.)
    assert isinstance(head.fc_cls, CosineSimClassifier)
    assert head.fc_cls.bias is None and head.fc_cls.weight.shape == (6, 16)
    assert len(head.shared_fcs) == 2
    # class-specific regression from mmdet's head
    assert head.fc_reg.weight.shape == (20, 16)
    rois = torch.randn(7, 8, 2, 2)
    cls_score, bbox_pred = head(rois)
    assert cls_score.shape == (7, 6) and bbox_pred.shape == (7, 20)
    assert cls_score.abs().max() <= 20 + 1e-4
    # equal to 20 * cos(shared feature, class weight)
    feature = rois.flatten(1)
    for fc in head.shared_fcs:
        feature = torch.relu(fc(feature))
    # the forward pass left the unit-norm class weights in fc_cls.weight
    weight = head.fc_cls.weight
    assert torch.allclose(weight.norm(dim=1), torch.ones(6), atol=1e-4)
    expected = 20 * (feature /
                     (feature.norm(dim=1, keepdim=True) + 1e-5)) @ weight.t()
    assert torch.allclose(cls_score, expected, atol=1e-4)
    with pytest.raises(ValueError, match='cls_predictor_cfg'):
        CosineSimBBoxHead(cls_predictor_cfg=dict(type='Linear'))


def toy_batch(num_images=2, size=64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for index in range(num_images):
        inputs.append(
            torch.randint(0, 255, (3, size, size),
                          generator=generator).to(torch.uint8))
        sample = DetDataSample(
            metainfo=dict(
                img_id=index,
                img_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[8., 8., 40., 40.], [20., 10., 60., 50.]]),
            labels=torch.tensor([index % 3, 1]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def toy_tfa(frozen_parameters, **kwargs):
    cfg = Config.fromfile(TOY_BASE)
    model_cfg = cfg.model
    model_cfg.update(type='TFA', frozen_parameters=frozen_parameters, **kwargs)
    return build(model_cfg), cfg


def train_steps(model, cfg, num_steps=3):
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        optim_wrapper = build_optim_wrapper(
            model,
            dict(
                type='OptimWrapper',
                constructor='ExcludeFrozenOptimWrapperConstructor',
                optimizer=dict(
                    type='SGD', lr=0.05, momentum=0.9, weight_decay=0.01)))
    model.train()
    for step in range(num_steps):
        model.train_step(toy_batch(seed=step), optim_wrapper)
    return optim_wrapper


def test_frozen_parameters_keep_their_values_and_bn_statistics():
    frozen = ['backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs']
    model, cfg = toy_tfa(frozen)
    before = copy.deepcopy(model.state_dict())
    optim_wrapper = train_steps(model, cfg)
    after = model.state_dict()
    trained = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trained == {
        'roi_head.bbox_head.fc_cls.weight', 'roi_head.bbox_head.fc_cls.bias',
        'roi_head.bbox_head.fc_reg.weight', 'roi_head.bbox_head.fc_reg.bias'
    }
    for name, value in after.items():
        if name in trained:
            assert not torch.equal(value, before[name]), name
        else:
            # parameters and BN buffers (running mean / var) of frozen parts
            assert torch.equal(value, before[name]), name
    # the backbone's BN (norm_eval=False in this config) stayed in eval
    assert all(not m.training for m in model.backbone.modules()
               if isinstance(m, _BatchNorm))
    # the optimizer holds only the trained parameters
    optimized = {
        id(p)
        for group in optim_wrapper.optimizer.param_groups
        for p in group['params']
    }
    assert optimized == {id(p) for p in model.parameters() if p.requires_grad}


def test_frozen_bn_statistics_move_when_asked_to():
    model, cfg = toy_tfa(['backbone'], freeze_norm_stats=False)
    before = model.backbone.bn1.running_mean.clone()
    weight = model.backbone.conv1.weight.clone()
    train_steps(model, cfg, num_steps=1)
    assert not torch.equal(model.backbone.bn1.running_mean, before)
    assert torch.equal(model.backbone.conv1.weight, weight)


def test_prefixes_match_whole_names_and_unknown_ones_are_errors():
    model, _ = toy_tfa(['roi_head.bbox_head.shared_fcs.0'])
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {
        'roi_head.bbox_head.shared_fcs.0.weight',
        'roi_head.bbox_head.shared_fcs.0.bias'
    }
    with pytest.raises(ValueError, match=r"\['roi_head.bbox_head.shared'\]"):
        toy_tfa(['roi_head.bbox_head.shared'])
    with pytest.raises(ValueError, match='backbone.conv9'):
        toy_tfa(['backbone', 'backbone.conv9'])


def test_everything_frozen_is_an_optimizer_error():
    model, cfg = toy_tfa(['backbone', 'neck', 'rpn_head', 'roi_head'])
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='ExcludeFrozenOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))))
    with pytest.raises(ValueError, match='every parameter of TFA is frozen'):
        constructor(model)


def test_fine_tune_config_trains_only_the_last_layers():
    cfg = Config.fromfile(TOY_FINE_TUNE)
    model = build(cfg.model)
    assert isinstance(model.roi_head.bbox_head, CosineSimBBoxHead)
    trained = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    assert trained == [
        'roi_head.bbox_head.fc_cls.weight', 'roi_head.bbox_head.fc_reg.bias',
        'roi_head.bbox_head.fc_reg.weight'
    ]


def test_predict_returns_boxes_in_original_image_coordinates():
    cfg = Config.fromfile(TOY_BASE)
    # a box predictor that always answers the whole input image
    model = build(cfg.model)
    model.eval()
    batch = toy_batch(num_images=1, size=64)
    sample = batch['data_samples'][0]
    # the input is a 2x downscaled 128x96 image
    sample.set_metainfo(dict(ori_shape=(96, 128), scale_factor=(0.5, 0.5)))
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        feats = model.extract_feat(data['inputs'])
        proposals = [
            InstanceData(
                bboxes=torch.tensor([[0., 0., 64., 48.]]),
                scores=torch.ones(1),
                labels=torch.zeros(1, dtype=torch.long))
        ]
        head = model.roi_head
        head.test_cfg.score_thr = 0.
        with torch.no_grad():
            head.bbox_head.fc_reg.weight.zero_()
            head.bbox_head.fc_reg.bias.zero_()
        results = head.predict(
            feats, proposals, data['data_samples'], rescale=True)
    boxes = results[0].bboxes
    assert len(boxes) > 0
    # zero deltas: the proposal itself, scaled back by 1 / 0.5
    assert torch.allclose(
        boxes, torch.tensor([[0., 0., 128., 96.]]), atol=1e-3)
    assert not math.isnan(results[0].scores.sum().item())
