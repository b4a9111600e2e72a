"""The converter of the original toolbox's detection checkpoints: the CLI,
its errors, and the test tool and inference API given an unconverted
checkpoint. (The conversion of real original models is checked against
the golden fixtures in ``test_reference_golden.py``.)"""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmfewshot.detection.apis import init_detector
from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import CheckpointError
from mmfewshot.utils.original_checkpoint import (UnmappedKeyError,
                                                 convert_original_checkpoint,
                                                 is_original_checkpoint,
                                                 load_original_checkpoint)

ROOT = Path(__file__).resolve().parents[2]
TOOL = 'tools/model_converters/convert_original_checkpoint.py'
TOY_META_RCNN = str(ROOT / 'configs/detection/meta_rcnn/toy/'
                    'meta-rcnn_tiny-r18_c4_toy_1shot-fine-tuning.py')
TOY_CLASSES = tuple(f'class{i}' for i in range(8))


@pytest.fixture(scope='module')
def toy_state_dict():
    """The state dict of a small Meta R-CNN of ours."""
    cfg = Config.fromfile(TOY_META_RCNN)
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        model = MODELS.build(cfg.model)
    return model.state_dict()


def original_checkpoint(state_dict: dict) -> dict:
    """A checkpoint as the original's training writes one: the backbone a
    second time as ``support_backbone``, mmcv 1.x meta with the classes
    and the support set as mmdet 2.x data infos (numpy arrays)."""
    original = dict(state_dict)
    for key, value in state_dict.items():
        if key.startswith('backbone.'):
            original['support_' + key] = value
    infos = [
        dict(
            id='000005',
            filename='VOC2007/JPEGImages/000005.jpg',
            width=500,
            height=375,
            ann=dict(
                bboxes=np.array(
                    [[262., 210., 323., 338.], [164., 263., 252., 371.]],
                    np.float32),
                labels=np.array([2, 6]),
                bboxes_ignore=np.zeros((0, 4), np.float32),
                labels_ignore=np.zeros((0, ), np.int64)))
    ]
    meta = dict(
        mmcv_version='1.7.2',
        CLASSES=TOY_CLASSES,
        model_init_ann_cfg=[dict(data_infos=infos)])
    return dict(state_dict=original, meta=meta, optimizer={'state': {}})


def test_cli_converts_and_reports(toy_state_dict, tmp_path, load_script,
                                  run_tool, capsys):
    source = tmp_path / 'original.pth'
    torch.save(original_checkpoint(toy_state_dict), source)
    out = tmp_path / 'converted.pth'
    status, stdout, stderr = run_tool(
        load_script(TOOL),
        [str(source), str(out), '--method', 'meta_rcnn'], capsys)
    assert status == 0, stderr
    num_backbone = sum(k.startswith('backbone.') for k in toy_state_dict)
    assert f'{len(toy_state_dict) + num_backbone} original keys: ' \
        f'{len(toy_state_dict)} kept, 0 renamed, 0 dropped, ' \
        f'{num_backbone} duplicates dropped' in stdout
    assert f'dropped {num_backbone} keys support_backbone.* (equal to ' \
        'backbone.*' in stdout
    assert 'support set: 2 instances' in stdout
    converted = torch.load(out, weights_only=True)
    assert sorted(converted) == ['meta', 'state_dict']
    assert sorted(converted['state_dict']) == sorted(toy_state_dict)
    meta = converted['meta']
    assert meta['dataset_meta']['classes'] == TOY_CLASSES
    assert not is_original_checkpoint(converted)
    support = meta['support_set']
    assert support['classes'] == list(TOY_CLASSES)
    first = support['data_list'][0]
    assert first['img_path'] == 'data/VOCdevkit/VOC2007/JPEGImages/000005.jpg'
    # the original's VOC box is the file's minus (1, 1, 0, 0), ours the
    # file's minus 1
    assert first['instances'] == [
        dict(bbox=[262., 210., 322., 337.], bbox_label=2, ignore_flag=0)
    ]
    assert support['data_list'][1]['instances'][0]['bbox_label'] == 6


def test_cli_classes_and_prefix_options(toy_state_dict, tmp_path, load_script,
                                        run_tool, capsys):
    checkpoint = original_checkpoint(toy_state_dict)
    del checkpoint['meta']['CLASSES']
    source = tmp_path / 'original.pth'
    torch.save(checkpoint, source)
    out = tmp_path / 'converted.pth'
    names = ','.join(f'c{i}' for i in range(8))
    status, _, stderr = run_tool(
        load_script(TOOL), [
            str(source),
            str(out), '--method', 'meta-rcnn', '--classes', names,
            '--support-img-prefix', 'mydata/voc'
        ], capsys)
    assert status == 0, stderr
    meta = torch.load(out, weights_only=True)['meta']
    assert meta['dataset_meta']['classes'] == tuple(names.split(','))
    assert meta['support_set']['data_list'][0]['img_path'] == \
        'mydata/voc/VOC2007/JPEGImages/000005.jpg'


def test_support_set_needs_classes(toy_state_dict):
    checkpoint = original_checkpoint(toy_state_dict)
    del checkpoint['meta']['CLASSES']
    with pytest.raises(CheckpointError, match='pass --classes'):
        convert_original_checkpoint(checkpoint, 'meta_rcnn')


@pytest.mark.parametrize('change, message', [
    (dict(method='nope'), "no converter for original method 'nope'"),
    (dict(extra_key=True), 'no conversion rule for original key(s) '
     'roi_head.bbox_head.fc_extra.weight'),
    (dict(differing_copy=True), 'original key support_backbone.conv1.weight '
     'differs from backbone.conv1.weight'),
    (dict(classes='a,,b'), "--classes 'a,,b': empty class name"),
    (dict(damaged=True), 'is truncated or damaged'),
])
def test_cli_errors_are_one_line_and_write_nothing(toy_state_dict, tmp_path,
                                                   load_script, run_tool,
                                                   capsys, change, message):
    checkpoint = original_checkpoint(toy_state_dict)
    if change.get('extra_key'):
        checkpoint['state_dict']['roi_head.bbox_head.fc_extra.weight'] = \
            torch.zeros(2)
    if change.get('differing_copy'):
        checkpoint['state_dict']['support_backbone.conv1.weight'] = \
            checkpoint['state_dict']['backbone.conv1.weight'] + 1
    source = tmp_path / 'original.pth'
    torch.save(checkpoint, source)
    if change.get('damaged'):
        source.write_bytes(source.read_bytes()[:1000])
    out = tmp_path / 'converted.pth'
    out.write_text('earlier result')
    argv = [
        str(source),
        str(out), '--method',
        change.get('method', 'meta_rcnn')
    ]
    if 'classes' in change:
        argv += ['--classes', change['classes']]
    status, stdout, stderr = run_tool(load_script(TOOL), argv, capsys)
    assert status == 2
    assert stderr.startswith('convert_original_checkpoint: error: ')
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert out.read_text() == 'earlier result'
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'converted.pth', 'original.pth'
    ]


def test_a_key_claimed_for_a_missing_copy_is_named():
    with pytest.raises(
            UnmappedKeyError, match='copy of backbone.conv1.weight'):
        convert_original_checkpoint(
            {'support_backbone.conv1.weight': torch.zeros(1)}, 'meta_rcnn')


def test_mmcv1_meta_reads_under_weights_only(tmp_path):
    """numpy arrays of the original's support set load with the
    allow-list; a checkpoint with other globals is refused by name."""
    path = tmp_path / 'plain.pth'
    torch.save(dict(state_dict={}, meta=dict(a=np.arange(3))), path)
    loaded = load_original_checkpoint(str(path))
    assert loaded['meta']['a'].tolist() == [0, 1, 2]
    path = tmp_path / 'unsafe.pth'
    torch.save(dict(state_dict={}, meta=dict(a=Path('x'))), path)
    with pytest.raises(CheckpointError, match='cannot be read'):
        load_original_checkpoint(str(path))


def test_test_tool_and_init_detector_refuse_an_original_checkpoint(
        toy_state_dict, tmp_path, load_script, run_tool, capsys):
    source = tmp_path / 'meta_rcnn_original.pth'
    torch.save(original_checkpoint(toy_state_dict), source)
    command = (f'python {TOOL} {source} {tmp_path}/meta_rcnn_original_'
               'converted.pth --method meta_rcnn')
    with pytest.raises(CheckpointError) as error:
        init_detector(TOY_META_RCNN, str(source), device='cpu')
    assert 'checkpoint of the original MMFewShot 0.1.0' in str(error.value)
    assert command in str(error.value)
    status, _, stderr = run_tool(
        load_script('tools/detection/test.py'),
        [TOY_META_RCNN,
         str(source), '--work-dir',
         str(tmp_path / 'work')], capsys)
    assert status == 2
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith('test: error: checkpoint ')
    assert command in stderr
