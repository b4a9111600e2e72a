"""The MPSR detector on toy data (the toy config, a generated dataset):
batches of both branches, loss keys, training, prediction without auxiliary
data in original image coordinates, frozen parameters and the optimizer
settings of MPSR's fine-tuning."""
import copy
import math
import os
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.datasets import build_fewshot_dataloader
from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[2]
TOY_BASE = str(ROOT / 'configs/detection/mpsr/toy/'
               'mpsr_tiny-r18_fpn_toy_base-training.py')
LOSS_KEYS = {
    'loss_rpn_cls', 'loss_rpn_cls_auxiliary', 'loss_rpn_bbox', 'loss_cls',
    'loss_bbox', 'acc', 'loss_cls_auxiliary', 'acc_auxiliary'
}


@pytest.fixture(scope='module')
def toy_cwd(tmp_path_factory, load_script):
    """A working directory with a small ``data/toy_det``."""
    cwd = tmp_path_factory.mktemp('mpsr_toy')
    load_script('tools/data/detection/make_toy_dataset.py').main([
        str(cwd / 'data/toy_det'), '--num-trainval', '32', '--num-test', '6',
        '--size', '96', '--shots', '1', '--split-seeds', '0'
    ])
    return cwd


def toy_config(**model_kwargs):
    cfg = Config.fromfile(TOY_BASE)
    cfg.model.update(model_kwargs)
    loader = cfg.train_dataloader
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    loader.auxiliary_dataloader.num_workers = 0
    return cfg


def build_model(cfg):
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def toy_batches(toy_cwd):
    """Three training batches of the toy config (main + auxiliary)."""
    previous = os.getcwd()
    os.chdir(toy_cwd)
    try:
        cfg = toy_config()
        with DefaultScope.overwrite_default_scope('mmfewshot_det'):
            loader = build_fewshot_dataloader(cfg.train_dataloader, seed=0)
        batches = iter(loader)
        return [next(batches) for _ in range(3)]
    finally:
        os.chdir(previous)


def optim_wrapper(model, lr=0.01, **paramwise):
    cfg = dict(
        type='OptimWrapper',
        constructor='ExcludeFrozenOptimWrapperConstructor',
        optimizer=dict(type='SGD', lr=lr, momentum=0.9, weight_decay=1e-4))
    if paramwise:
        cfg['paramwise_cfg'] = paramwise
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        return build_optim_wrapper(model, cfg)


def test_toy_batches_hold_one_crop_per_scale(toy_batches):
    batch = toy_batches[0]
    assert len(batch['main_data']['inputs']) == 2
    scales = [packed['inputs'] for packed in batch['auxiliary_data']]
    assert [[tuple(x.shape) for x in images] for images in scales
            ] == [[(3, s, s)] * 2 for s in (16, 32, 64, 128)]


def test_two_branch_dataset_annotations_of_both_modes(toy_cwd, monkeypatch):
    monkeypatch.chdir(toy_cwd)
    cfg = toy_config()
    cfg.train_dataloader.batch_sampler = dict(type='AspectRatioBatchSampler')
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        loader = build_fewshot_dataloader(cfg.train_dataloader, seed=0)
    main = loader.dataset
    auxiliary = loader.auxiliary_data_loader.dataset
    # images of the main mode (what AspectRatioBatchSampler reads) ...
    info = main.get_data_info(1)
    assert info == main.main_dataset.get_data_info(1)
    assert {'width', 'height', 'instances'} <= set(info)
    # ... and single instances of the auxiliary mode
    for idx in range(len(auxiliary)):
        assert len(auxiliary.get_data_info(idx)['instances']) == 1
    total = sum(
        sum(not i['ignore_flag'] for i in main.get_data_info(idx)['instances'])
        for idx in range(len(main)))
    assert len(auxiliary) == total
    batch = next(iter(loader))
    assert len(batch['main_data']['inputs']) == 2


def test_losses_of_both_branches_are_finite_and_decrease(toy_batches):
    torch.manual_seed(0)
    cfg = toy_config()
    model = build_model(cfg)
    wrapper = optim_wrapper(model, lr=0.01)
    model.train()
    totals = []
    for step in range(12):
        losses = model.train_step(toy_batches[step % 3], wrapper)
        assert set(losses) == LOSS_KEYS | {'loss'}
        assert all(math.isfinite(float(v)) for v in losses.values())
        assert losses['loss_rpn_cls_auxiliary'] > 0
        assert losses['loss_cls_auxiliary'] > 0
        totals.append(float(losses['loss']))
    assert sum(totals[-3:]) < 0.8 * sum(totals[:3]), totals


def test_training_needs_the_auxiliary_branch(toy_batches):
    model = build_model(toy_config())
    data = model.data_preprocessor(toy_batches[0], True)
    with pytest.raises(ConfigError, match='TwoBranchDataset'):
        model(data['inputs'], data['data_samples'], mode='loss')
    with pytest.raises(DataError, match='at 3 scales'):
        model.loss(data['inputs'], data['data_samples'],
                   data['auxiliary_inputs'][:3],
                   data['auxiliary_data_samples'][:3])
    with pytest.raises(ConfigError, match='one entry per auxiliary scale'):
        build_model(toy_config(roi_select_levels=[0, 0, 1]))
    with pytest.raises(ConfigError, match='TwoBranchRPNHead'):
        cfg = toy_config()
        cfg.model.rpn_head.type = 'RPNHead'
        cfg.model.rpn_head.pop('mid_channels')
        cfg.model.rpn_head.pop('auxiliary_border')
        build_model(cfg)


def test_predict_needs_no_auxiliary_data_and_rescales_boxes(toy_batches):
    torch.manual_seed(0)
    model = build_model(toy_config())
    wrapper = optim_wrapper(model, lr=0.01)
    model.train()
    for step in range(6):
        model.train_step(toy_batches[step % 3], wrapper)
    model.eval()
    model.test_cfg.rcnn.score_thr = 0.
    main = toy_batches[0]['main_data']
    image = main['inputs'][0]
    sample = main['data_samples'][0].clone()
    height, width = image.shape[-2:]
    sample.set_metainfo(
        dict(
            ori_shape=(height, width),
            img_shape=(height, width),
            scale_factor=(1., 1.)))
    halved = sample.clone()
    halved.set_metainfo(
        dict(ori_shape=(height // 2, width // 2), scale_factor=(2., 2.)))
    with torch.no_grad():
        full, = model.test_step(dict(inputs=[image], data_samples=[sample]))
        half, = model.test_step(dict(inputs=[image], data_samples=[halved]))
    boxes = full.pred_instances.bboxes
    assert len(boxes) > 0
    # the same detections, in the coordinates of the half-size original
    assert torch.allclose(half.pred_instances.bboxes, boxes / 2, atol=1e-4)
    assert torch.equal(half.pred_instances.labels, full.pred_instances.labels)
    assert (half.pred_instances.bboxes[:, 2:]
            <= torch.tensor([width // 2, height // 2]) + 1e-3).all()


def test_frozen_parameters_keep_their_values(toy_batches):
    torch.manual_seed(0)
    model = build_model(toy_config(frozen_parameters=['backbone', 'neck']))
    before = copy.deepcopy(model.state_dict())
    wrapper = optim_wrapper(
        model, custom_keys={'.bias': dict(lr_mult=2.0, decay_mult=0.0)})
    model.train()
    for step in range(2):
        model.train_step(toy_batches[step], wrapper)
    after = model.state_dict()
    for name, value in after.items():
        if name.startswith(('backbone.', 'neck.')):
            # parameters and BN statistics of the frozen parts
            assert torch.equal(value, before[name]), name
    for name in ('rpn_head.rpn_cls.weight', 'rpn_head.rpn_cls_conv.weight',
                 'roi_head.bbox_head.cls_fcs.1.weight',
                 'roi_head.bbox_head.fc_cls.bias'):
        assert not torch.equal(after[name], before[name]), name
    # bias lr x2 and no decay, composed with leaving frozen ones out
    trained = {id(p) for p in model.parameters() if p.requires_grad}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            assert id(param) in trained
            if names[id(param)].endswith('.bias'):
                assert group['lr'] == pytest.approx(0.02)
                assert group['weight_decay'] == 0
            else:
                assert group['lr'] == pytest.approx(0.01)
                assert group['weight_decay'] == pytest.approx(1e-4)
    optimized = {
        id(p)
        for group in wrapper.optimizer.param_groups
        for p in group['params']
    }
    assert optimized == trained
