import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models import ResNet as MMPretrainResNet

from mmfewshot.classification.models.backbones import (Conv4, Conv4NoPool,
                                                       ConvNet, DropBlock,
                                                       ResNet12, WideResNet,
                                                       WRN28x10)
from mmfewshot.classification.registry import MODELS


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def embed(model: nn.Module, size: int, batch: int = 2) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(torch.randn(batch, 3, size, size))


@pytest.mark.parametrize('cfg, size, shape', [
    (dict(type='Conv4'), 84, (2, 1600)),
    (dict(type='Conv4'), 32, (2, 256)),
    (dict(type='Conv4NoPool'), 84, (2, 64, 19, 19)),
    (dict(type='Conv4NoPool'), 32, (2, 64, 6, 6)),
    (dict(type='ConvNet', depth=2, channels=(8, 16)), 32, (2, 16 * 8 * 8)),
    (dict(type='ResNet12'), 84, (2, 640)),
    (dict(type='ResNet12'), 32, (2, 640)),
    (dict(type='ResNet12', with_avgpool=False, flatten=False), 84,
     (2, 640, 5, 5)),
    (dict(type='ResNet12', with_avgpool=False, flatten=False), 32,
     (2, 640, 2, 2)),
    (dict(type='ResNet12', with_avgpool=False, flatten=True), 32,
     (2, 640 * 2 * 2)),
])
def test_small_backbone_output_shapes(cfg, size, shape):
    model = MODELS.build(cfg)
    out = embed(model, size)
    assert tuple(out.shape) == shape
    if out.dim() == 4:
        assert model.out_channels == shape[1]


def test_wrn28x10_shapes_vector_and_map():
    model = MODELS.build(dict(type='WRN28x10'))
    assert model.out_channels == 640
    assert tuple(embed(model, 84).shape) == (2, 640)
    assert tuple(embed(model, 32).shape) == (2, 640)
    model.with_avgpool, model.flatten = False, False
    assert tuple(embed(model, 84, batch=1).shape) == (1, 640, 21, 21)
    assert tuple(embed(model, 32, batch=1).shape) == (1, 640, 8, 8)
    assert 36_000_000 < num_params(model) < 37_000_000


def test_out_channels_attribute():
    assert Conv4().out_channels == 64
    assert ConvNet(depth=3, channels=[16, 32, 48]).out_channels == 48
    assert ResNet12().out_channels == 640
    assert ResNet12(channels=(8, 16, 24, 32)).out_channels == 32
    assert WideResNet(depth=10, widen_factor=2).out_channels == 128


def test_registry_builds_ours_and_mmpretrain_backbones():
    expected = {
        'ConvNet': ConvNet,
        'Conv4': Conv4,
        'Conv4NoPool': Conv4NoPool,
        'ResNet12': ResNet12,
    }
    for name, cls in expected.items():
        assert type(MODELS.build(dict(type=name))) is cls
    assert MODELS.get('WRN28x10') is WRN28x10
    small_wrn = MODELS.build(dict(type='WideResNet', depth=16, widen_factor=1))
    assert type(small_wrn) is WideResNet
    assert len(small_wrn.stages[0]) == 2  # (16 - 4) / 6 blocks per stage
    resnet18 = MODELS.build(dict(type='ResNet', depth=18))
    assert isinstance(resnet18, MMPretrainResNet)
    assert resnet18.depth == 18


def test_conv4_parameter_count_formula():
    model = Conv4()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 4
    assert [c.out_channels for c in convs] == [64] * 4
    conv_weights = 3 * 64 * 9 + 3 * 64 * 64 * 9  # bias-free convs
    bn_affine = 4 * 2 * 64
    assert num_params(model) == conv_weights + bn_affine == 112_832


def test_resnet12_parameter_count():
    assert 12_300_000 < num_params(ResNet12()) < 12_500_000


def test_convnet_per_block_options_and_errors():
    model = ConvNet(
        depth=3,
        channels=[8, 16, 32],
        pooling_blocks=[True, False, True],
        padding=[1, 0, 1],
        flatten=False)
    # 32 -> 32 -> 16 -> 14 -> 14 -> 7
    assert tuple(embed(model, 32).shape) == (2, 32, 7, 7)
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 2
    with pytest.raises(ValueError, match='pooling_blocks'):
        ConvNet(depth=4, pooling_blocks=(True, False))
    with pytest.raises(ValueError, match='channels'):
        ConvNet(depth=2, channels=[8, 16, 32])
    with pytest.raises(ValueError, match='depth'):
        WideResNet(depth=27, widen_factor=2)
    with pytest.raises(ValueError, match='drop_block_stages'):
        ResNet12(drop_block_stages=(True, ))


@pytest.mark.parametrize('model_fn', [
    Conv4, Conv4NoPool, lambda: ResNet12(drop_rate=0.1),
    lambda: WideResNet(depth=10, widen_factor=1, drop_rate=0.1)
])
def test_gradients_reach_first_conv(model_fn):
    model = model_fn().train()
    out = model(torch.randn(2, 3, 32, 32))
    out.pow(2).mean().backward()
    first_conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    assert first_conv.weight.grad is not None
    assert first_conv.weight.grad.abs().sum() > 0


def test_weights_initialised_at_construction():
    model = ResNet12()
    last_conv = model.stages[3].residual[-2]
    assert isinstance(last_conv, nn.Conv2d)
    fan_out = 640 * 3 * 3
    expected_std = math.sqrt(2.0 / fan_out)
    assert abs(last_conv.weight.std().item() / expected_std - 1) < 0.02
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert torch.equal(m.weight, torch.ones_like(m.weight))
            assert torch.equal(m.bias, torch.zeros_like(m.bias))


def test_pretrained_init_cfg_loads_checkpoint(tmp_path):
    source = Conv4()
    checkpoint = tmp_path / 'conv4.pth'
    torch.save(source.state_dict(), checkpoint)
    model = MODELS.build(
        dict(
            type='Conv4',
            init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint))))
    first = model.layers[0].weight
    assert not torch.equal(first, source.layers[0].weight)
    model.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name


def test_dropblock_is_identity_in_eval_mode():
    block = DropBlock(drop_rate=0.3, block_size=5).eval()
    x = torch.randn(2, 4, 16, 16)
    assert torch.equal(block(x), x)


def zero_block_cover(zero_mask: torch.Tensor, block_size: int):
    """Positions covered by a fully zero block_size x block_size window."""
    full_windows = -F.max_pool2d(-zero_mask, block_size, stride=1)
    pad = block_size - 1
    return F.max_pool2d(
        F.pad(full_windows, (pad, pad, pad, pad)), block_size, stride=1)


def test_dropblock_drops_contiguous_blocks_at_expected_rate():
    torch.manual_seed(0)
    block = DropBlock(drop_rate=0.1, block_size=5).train()
    x = torch.ones(8, 16, 40, 40)
    out = block(x)
    zero_mask = (out == 0).float()
    dropped = zero_mask.mean().item()
    # Overlapping blocks make the dropped fraction a little below the rate.
    assert 0.08 < dropped < 0.11
    # Every zero lies in a fully dropped 5 x 5 square: blocks, not pixels.
    assert zero_mask.sum() > 0
    assert torch.equal(zero_block_cover(zero_mask, 5), zero_mask)
    # Kept activations are rescaled so that the mean is preserved exactly.
    kept = out[out != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / (1 - dropped)))
    assert out.mean().item() == pytest.approx(1.0, abs=1e-5)


def test_dropblock_preserves_mean_of_random_input():
    torch.manual_seed(1)
    x = torch.rand(16, 16, 32, 32) + 0.5
    out = DropBlock(drop_rate=0.2, block_size=3).train()(x)
    assert out.mean().item() == pytest.approx(x.mean().item(), rel=0.02)


def assert_randomness_follows_torch_seed(module: nn.Module,
                                         x: torch.Tensor) -> None:
    """Same seed, same output; the next draw differs."""
    with torch.no_grad():
        torch.manual_seed(7)
        first = module(x)
        torch.manual_seed(7)
        again = module(x)
        second = module(x)
    assert torch.equal(first, again)
    assert not torch.equal(first, second)


def test_dropblock_follows_torch_seed():
    block = DropBlock(drop_rate=0.2, block_size=3).train()
    assert_randomness_follows_torch_seed(block, torch.randn(2, 4, 12, 12))


def test_dropblock_on_map_smaller_than_block():
    torch.manual_seed(0)
    block = DropBlock(drop_rate=0.5, block_size=5).train()
    out = block(torch.ones(64, 8, 2, 2))
    per_map_zeros = (out == 0).flatten(2).sum(-1)
    # A block covers the whole 2 x 2 map: maps are all kept or all dropped.
    assert set(per_map_zeros.unique().tolist()) == {0, 4}


def test_dropblock_warmup_ramps_rate_and_is_saved():
    block = DropBlock(drop_rate=0.2, block_size=3, warmup_iters=4).train()
    x = torch.randn(2, 4, 12, 12)
    assert torch.equal(block(x), x)  # first pass: rate 0
    rates = []
    for _ in range(5):
        rates.append(block.current_drop_rate())
        block(x)
    assert rates == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.2])
    assert block.state_dict()['num_iters'].item() == 6
    assert 'num_iters' not in DropBlock(0.2, 3).state_dict()


def test_dropblock_rejects_bad_arguments():
    with pytest.raises(ValueError, match='drop_rate'):
        DropBlock(drop_rate=1.0, block_size=5)
    with pytest.raises(ValueError, match='block_size'):
        DropBlock(drop_rate=0.1, block_size=0)


def test_resnet12_regularisation_placement_and_modes():
    model = ResNet12(drop_rate=0.1, channels=(8, 16, 24, 32))
    drops = [stage.drop for stage in model.stages]
    assert [type(d)
            for d in drops] == [nn.Dropout, nn.Dropout, DropBlock, DropBlock]
    assert all(d.block_size == 5 for d in drops[2:])
    assert all(type(stage.drop) is nn.Identity for stage in ResNet12().stages)
    x = torch.randn(2, 3, 84, 84)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
    assert_randomness_follows_torch_seed(model.train(), x)


def test_dropblock_half_precision_keeps_scale_on_large_maps():
    # 2.56M kept-mask entries: a float16 sum would overflow to inf.
    torch.manual_seed(0)
    x = torch.ones(80, 320, 10, 10, dtype=torch.float16)
    out = DropBlock(drop_rate=0.1, block_size=5).train()(x)
    assert out.dtype == torch.float16
    assert torch.isfinite(out).all()
    assert out.float().mean().item() == pytest.approx(1.0, abs=1e-2)
