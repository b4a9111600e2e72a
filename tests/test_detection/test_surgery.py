"""Checkpoint surgery of the last box-head layers, rows matched by name."""
import os.path as osp

import pytest
import torch

from mmfewshot.detection.apis.surgery import SurgeryError, initialize_bbox_head
from mmfewshot.detection.datasets import (ALL_CLASSES, ALL_CLASSES_SPLIT1,
                                          BASE_CLASSES, BASE_CLASSES_SPLIT1,
                                          NOVEL_CLASSES, NOVEL_CLASSES_SPLIT1)
from mmfewshot.utils import load_checkpoint_strict

CLS = 'roi_head.bbox_head.fc_cls'
REG = 'roi_head.bbox_head.fc_reg'
FEAT = 6


@pytest.fixture
def tool(load_script):
    return load_script('tools/detection/misc/initialize_bbox_head.py')


def base_state(num_classes,
               cls_bias=True,
               agnostic=False,
               background=True,
               seed=0):
    """Weights whose rows encode (class index + 1) so copies are visible."""
    generator = torch.Generator().manual_seed(seed)
    cls_rows = num_classes + int(background)
    reg_rows = 4 if agnostic else 4 * num_classes
    state = {
        'backbone.conv1.weight':
        torch.randn(3, 3, generator=generator),
        f'{CLS}.weight':
        torch.arange(1, cls_rows + 1).float()[:, None] *
        torch.ones(cls_rows, FEAT),
        f'{REG}.weight':
        torch.arange(1, reg_rows + 1).float()[:, None] *
        torch.ones(reg_rows, FEAT),
        f'{REG}.bias':
        torch.arange(1, reg_rows + 1).float(),
    }
    if cls_bias:
        state[f'{CLS}.bias'] = torch.arange(1, cls_rows + 1).float()
    return state


def row(state, name, index):
    return state[name][index]


@pytest.mark.parametrize('cls_bias', [True, False])
def test_random_init_voc_split1(cls_bias):
    source = base_state(15, cls_bias=cls_bias)
    new, changed = initialize_bbox_head(source, BASE_CLASSES_SPLIT1,
                                        ALL_CLASSES_SPLIT1,
                                        NOVEL_CLASSES_SPLIT1)
    assert new[f'{CLS}.weight'].shape == (21, FEAT)
    assert new[f'{REG}.weight'].shape == (80, FEAT)
    # base rows (the first 15 of ALL_CLASSES_SPLIT1) and background copied
    assert torch.equal(new[f'{CLS}.weight'][:15], source[f'{CLS}.weight'][:15])
    assert torch.equal(new[f'{CLS}.weight'][20], source[f'{CLS}.weight'][15])
    assert torch.equal(new[f'{REG}.weight'][:60], source[f'{REG}.weight'])
    assert torch.equal(new[f'{REG}.bias'][:60], source[f'{REG}.bias'])
    # novel rows new: small random weights, zero biases
    novel_cls = new[f'{CLS}.weight'][15:20]
    assert 0 < novel_cls.std() < 0.05 and novel_cls.abs().max() < 0.1
    assert torch.equal(new[f'{REG}.bias'][60:], torch.zeros(20))
    if cls_bias:
        assert torch.equal(new[f'{CLS}.bias'][:15], torch.arange(1., 16.))
        assert torch.equal(new[f'{CLS}.bias'][15:20], torch.zeros(5))
        assert new[f'{CLS}.bias'][20] == 16.
    else:
        assert f'{CLS}.bias' not in new
    assert torch.equal(new['backbone.conv1.weight'],
                       source['backbone.conv1.weight'])
    assert f'{CLS}.weight' in changed and f'{REG}.weight' in changed
    # the source is not changed
    assert source[f'{CLS}.weight'].shape == (16, FEAT)


def test_random_init_coco_rows_go_to_their_class_positions():
    source = base_state(60)
    new, _ = initialize_bbox_head(source, BASE_CLASSES, ALL_CLASSES,
                                  NOVEL_CLASSES)
    assert new[f'{CLS}.weight'].shape == (81, FEAT)
    assert new[f'{REG}.weight'].shape == (320, FEAT)
    for base_index, name in enumerate(BASE_CLASSES):
        target = ALL_CLASSES.index(name)
        assert torch.equal(new[f'{CLS}.weight'][target],
                           source[f'{CLS}.weight'][base_index]), name
        assert torch.equal(
            new[f'{REG}.weight'][4 * target:4 * target + 4],
            source[f'{REG}.weight'][4 * base_index:4 * base_index + 4]), name
    for name in NOVEL_CLASSES:
        target = ALL_CLASSES.index(name)
        assert new[f'{CLS}.weight'][target].abs().max() < 0.1, name
    assert torch.equal(new[f'{CLS}.weight'][80], source[f'{CLS}.weight'][60])


def test_custom_classes_any_order_agnostic_regression():
    source = base_state(3, agnostic=True)
    target = ['dog', 'fish', 'cat', 'bird', 'cow']
    new, _ = initialize_bbox_head(
        source, ['cat', 'dog', 'cow'], target, ['fish', 'bird'], seed=3)
    weight = new[f'{CLS}.weight']
    assert weight.shape == (6, FEAT)
    # dog was row 1 (value 2), cat row 0 (1), cow row 2 (3), background 4
    assert [weight[i, 0].item() for i in (0, 2, 4, 5)] == [2., 1., 3., 4.]
    assert torch.equal(new[f'{REG}.weight'], source[f'{REG}.weight'])
    # the seed decides the new rows
    again, _ = initialize_bbox_head(
        source, ['cat', 'dog', 'cow'], target, ['fish', 'bird'], seed=3)
    other, _ = initialize_bbox_head(
        source, ['cat', 'dog', 'cow'], target, ['fish', 'bird'], seed=4)
    assert torch.equal(again[f'{CLS}.weight'], weight)
    assert not torch.equal(other[f'{CLS}.weight'][1], weight[1])


def test_sigmoid_classifier_without_background_row():
    source = base_state(2, background=False)
    new, _ = initialize_bbox_head(source, ['a', 'b'], ['a', 'c', 'b'], ['c'])
    assert new[f'{CLS}.weight'].shape == (3, FEAT)
    assert new[f'{CLS}.weight'][2, 0] == 2.


def test_combine_takes_novel_rows_from_the_novel_model():
    base = base_state(3)
    novel = {
        name: -value
        for name, value in base_state(2, cls_bias=False).items()
    }
    new, _ = initialize_bbox_head(
        base, ['a', 'b', 'c'], ['a', 'x', 'b', 'c', 'y'], ['x', 'y'],
        method='combine',
        novel_state_dict=novel,
        novel_source_classes=['y', 'x'])
    weight = new[f'{CLS}.weight'][:, 0].tolist()
    # a, x (novel row 1 -> -2), b, c, y (novel row 0 -> -1), background
    assert weight == [1., -2., 2., 3., -1., 4.]
    reg = new[f'{REG}.weight'][:, 0].tolist()
    assert reg[4:8] == [-5., -6., -7., -8.] and reg[16:20] == [-1, -2, -3, -4]
    # the novel model had no classifier bias: its rows get zero bias
    assert new[f'{CLS}.bias'].tolist() == [1., 0., 2., 3., 0., 4.]


def test_remove_drops_the_layers():
    new, changed = initialize_bbox_head(
        base_state(3), ['a', 'b', 'c'], [], [], method='remove')
    assert not any(name.startswith('roi_head') for name in new)
    assert sorted(changed) == sorted(
        [f'{CLS}.weight', f'{CLS}.bias', f'{REG}.weight', f'{REG}.bias'])


@pytest.mark.parametrize(
    'source_classes, target, novel, message',
    [(['a', 'b', 'c'], ['a', 'b', 'c', 'x'], ['x', 'c'],
      "novel class 'c' is already a class of the base checkpoint"),
     (['a', 'b', 'c'], ['a', 'q', 'x'
                        ], ['x'], "class 'q' of the target is neither"),
     (['a', 'b', 'c'], ['a', 'b', 'c'], ['z'],
      "novel class 'z' is not one of the target classes"),
     (['a', 'b'], ['a', 'b', 'x'], ['x'], 'has 4 rows, but the checkpoint '
      'names 2 classes')])
def test_class_lists_that_do_not_match_are_errors(source_classes, target,
                                                  novel, message):
    with pytest.raises(SurgeryError, match=message):
        initialize_bbox_head(base_state(3), source_classes, target, novel)


def test_target_shapes_drop_a_bias_and_check_sizes():
    shapes = {
        f'{CLS}.weight': (6, FEAT),
        f'{REG}.weight': (20, FEAT),
        f'{REG}.bias': (20, )
    }
    new, changed = initialize_bbox_head(
        base_state(3), ['a', 'b', 'c'], ['a', 'b', 'c', 'x', 'y'], ['x', 'y'],
        target_shapes=shapes)
    assert f'{CLS}.bias' not in new and f'{CLS}.bias' in changed
    wrong = dict(shapes)
    wrong[f'{CLS}.weight'] = (7, FEAT)
    with pytest.raises(SurgeryError, match='target model has'):
        initialize_bbox_head(
            base_state(3), ['a', 'b', 'c'], ['a', 'b', 'c', 'x', 'y'],
            ['x', 'y'],
            target_shapes=wrong)


def save_checkpoint(path, state, classes=None):
    meta = dict(dataset_meta=dict(classes=list(classes))) if classes else {}
    torch.save(dict(state_dict=state, meta=meta, optimizer={'lr': 1.}), path)
    return str(path)


def test_tool_defaults_to_the_split_of_a_predefined_base_model(tmp_path, tool):
    src = save_checkpoint(tmp_path / 'base.pth', base_state(15),
                          BASE_CLASSES_SPLIT1)
    assert tool.main(['--src1', src, '--method', 'random_init']) == 0
    out = tmp_path / 'base_model_random_init_bbox_head.pth'
    checkpoint = torch.load(out, weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert checkpoint['meta']['dataset_meta']['classes'] == list(
        ALL_CLASSES_SPLIT1)
    assert checkpoint['meta']['surgery']['novel_classes'] == list(
        NOVEL_CLASSES_SPLIT1)
    assert checkpoint['state_dict'][f'{CLS}.weight'].shape == (21, FEAT)


def test_tool_with_the_toy_config_fits_its_model(tmp_path, tool):
    config = ('configs/detection/tfa/toy/'
              'tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py')
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmfewshot.detection.registry import MODELS
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        base_cfg = Config.fromfile(
            'configs/detection/tfa/toy/tfa_tiny-r18_fpn_toy_base-training.py')
        base_model = MODELS.build(base_cfg.model)
        fine_tune_model = MODELS.build(cfg.model)
    src = save_checkpoint(tmp_path / 'iter_10.pth', base_model.state_dict(),
                          base_cfg.base_classes)
    assert tool.main([
        '--src1', src, '--method', 'random_init', '--config', config,
        '--save-dir',
        str(tmp_path / 'out'), '--tar-name', 'toy'
    ]) == 0
    out = str(tmp_path / 'out' / 'toy_random_init_bbox_head.pth')
    # the cosine head has no classifier bias: the surgered file fits exactly
    load_checkpoint_strict(fine_tune_model, out)
    weight = fine_tune_model.roi_head.bbox_head.fc_cls.weight
    source = base_model.roi_head.bbox_head.fc_cls.weight
    assert torch.equal(weight[:6], source[:6])
    assert torch.equal(weight[8], source[6])


def test_tool_errors_name_the_fault(tmp_path, capsys, tool):
    src = save_checkpoint(tmp_path / 'base.pth', base_state(3))
    cases = [
        (['--src1',
          str(tmp_path / 'nope.pth'), '--method', 'random_init'], 'nope.pth'),
        (['--src1', src, '--method', 'random_init'], '--base-classes'),
        ([
            '--src1', src, '--method', 'random_init', '--base-classes', 'a',
            'b', 'c'
        ], 'not a predefined base split'),
        ([
            '--src1', src, '--method', 'random_init', '--base-classes', 'a',
            'b', 'c', '--classes', 'a', 'd', 'x', '--novel-classes', 'x'
        ], "class 'd' of the target"),
    ]
    for argv, expected in cases:
        with pytest.raises(SystemExit) as exit_info:
            tool.main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], err
    named = save_checkpoint(tmp_path / 'named.pth', base_state(3),
                            ['a', 'b', 'c'])
    with pytest.raises(SystemExit):
        tool.main([
            '--src1', named, '--method', 'random_init', '--base-classes', 'a',
            'c', 'b', '--classes', 'a', 'b', 'c', 'x'
        ])
    assert "first difference: 'c'" in capsys.readouterr().err
    assert not osp.exists(tmp_path / 'base_model_random_init_bbox_head.pth')
