"""Query-support detectors end to end on a small generated toy dataset: base
training and fine-tuning of Meta R-CNN with the tools, the support set
stored in the checkpoint, the test tool on one and on two processes, the
support-image demo and support images of the user's own for all three
methods.

The runs are a few iterations long: they check the path (the toy benchmark
in the method READMEs reports accuracy). The last test (``slow``) trains
each method briefly and checks that support of the query's class scores
that class higher than unrelated support.
"""
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch

from mmfewshot.detection.apis import (inference_detector, init_detector,
                                      process_support_images)
from mmfewshot.utils import DataError

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs/detection'
TOY = dict(
    meta_rcnn='meta_rcnn/toy/meta-rcnn_tiny-r18_c4_toy',
    fsdetview='fsdetview/toy/fsdetview_tiny-r18_c4_toy',
    attention_rpn='attention_rpn/toy/attention-rpn_tiny-r18_c4_toy')
BASE = str(CONFIGS / f'{TOY["meta_rcnn"]}_base-training.py')
ONE_SHOT = str(CONFIGS / f'{TOY["meta_rcnn"]}_1shot-fine-tuning.py')
PYTHON = sys.executable
QUICK = [
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1'
]


def iterations(num):
    return [
        f'train_cfg.max_iters={num}', f'train_cfg.val_interval={num}',
        f'default_hooks.checkpoint.interval={num}'
    ]


@pytest.fixture(scope='module')
def tools(load_script):
    return dict(
        train=load_script('tools/detection/train.py'),
        test=load_script('tools/detection/test.py'),
        demo=load_script('demo/demo_query_support_detection.py'))


@pytest.fixture(scope='module')
def workspace(tmp_path_factory, load_script):
    """A working directory with ``data/toy_det`` (48 + 12 images)."""
    cwd = tmp_path_factory.mktemp('query_support')
    load_script('tools/data/detection/make_toy_dataset.py').main([
        str(cwd / 'data/toy_det'), '--num-trainval', '48', '--num-test', '12',
        '--shots', '1', '2', '--split-seeds', '0'
    ])
    return cwd


@pytest.fixture(scope='module')
def trained(workspace, tools):
    """Meta R-CNN base training (4 iterations) and 1-shot fine-tuning (3)."""
    previous = os.getcwd()
    os.chdir(workspace)
    try:
        base_dir = workspace / 'work_dirs/base'
        assert tools['train'].main(
            [BASE, '--work-dir',
             str(base_dir), '--cfg-options'] + QUICK + iterations(4)) is None
        fine_dir = workspace / 'work_dirs/fine'
        assert tools['train'].main([
            ONE_SHOT, '--work-dir',
            str(fine_dir), '--cfg-options', f'load_from={base_dir}/iter_4.pth'
        ] + QUICK + iterations(3)) is None
    finally:
        os.chdir(previous)
    return dict(
        cwd=workspace,
        base=base_dir / 'iter_4.pth',
        checkpoint=fine_dir / 'iter_3.pth',
        fine_dir=fine_dir)


def test_checkpoints_carry_the_support_set_of_training(trained):
    checkpoint = torch.load(trained['checkpoint'], weights_only=True)
    support_set = checkpoint['meta']['support_set']
    assert support_set['classes'][-2:] == ['star', 'diamond']
    # the 1-shot set: one instance of each of the 8 classes, one item each
    saved = json.loads(
        (trained['fine_dir'] / 'saved_dataset.json').read_text())
    saved_instances = sorted((item['img_path'], tuple(instance['bbox']))
                             for item in saved['data_list']
                             for instance in item['instances']
                             if not instance['ignore_flag'])
    stored = sorted((item['img_path'], tuple(item['instances'][0]['bbox']))
                    for item in support_set['data_list'])
    assert stored == saved_instances and len(stored) == 8
    # the classifier of the new classes was initialised afresh
    base = torch.load(trained['base'], weights_only=True)['state_dict']
    tuned = checkpoint['state_dict']
    assert base['roi_head.bbox_head.fc_cls.weight'].shape[0] == 7
    assert tuned['roi_head.bbox_head.fc_cls.weight'].shape[0] == 9
    assert torch.equal(base['backbone.conv1.weight'],
                       tuned['backbone.conv1.weight'])
    log = next(trained['fine_dir'].glob('*/*.log')).read_text()
    assert 'pascal_voc/NOVEL_CLASSES_AP50' in log


def test_test_tool_uses_the_stored_support_set_on_one_and_two_processes(
        trained, tmp_path):
    env = dict(
        os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1', PYTHON=PYTHON)
    results = {}
    for name, command in (
        ('one', [PYTHON, str(ROOT / 'tools/detection/test.py')]),
        ('two', ['bash', str(ROOT / 'tools/detection/dist_test.sh')]),
    ):
        argv = [ONE_SHOT, str(trained['checkpoint'])]
        if name == 'two':
            argv.append('2')
        result = subprocess.run(
            command + argv + [
                '--work-dir',
                str(tmp_path / name), '--out',
                str(tmp_path / f'{name}.pkl'), '--cfg-options'
            ] + QUICK,
            cwd=trained['cwd'],
            env=env,
            capture_output=True,
            text=True,
            timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.count('AP by class split (%):') == 1
        results[name] = json.loads(
            (tmp_path / name / 'test_results.json').read_text())['metrics']
    assert results['one'] == pytest.approx(results['two'], abs=1e-9)
    assert 'pascal_voc/NOVEL_CLASSES_AP50' in results['one']
    # every process held the same support cache: the same detections
    one = _by_image(tmp_path / 'one.pkl')
    two = _by_image(tmp_path / 'two.pkl')
    assert one.keys() == two.keys() and len(one) == 12
    for key, (boxes, scores) in one.items():
        assert np.allclose(boxes, two[key][0], atol=1e-4)
        assert np.allclose(scores, two[key][1], atol=1e-5)


def test_test_tool_needs_a_support_set(trained, tools, capsys, run_tool,
                                       monkeypatch):
    monkeypatch.chdir(trained['cwd'])
    stripped = trained['cwd'] / 'no_support.pth'
    checkpoint = torch.load(trained['checkpoint'], weights_only=True)
    del checkpoint['meta']['support_set']
    torch.save(checkpoint, stripped)
    status, _, err = run_tool(tools['test'], [
        ONE_SHOT,
        str(stripped), '--work-dir',
        str(trained['cwd'] / 'work_dirs/no_support'), '--cfg-options'
    ] + QUICK, capsys)
    assert status == 2
    assert 'copy_from_train=True' in err and 'error' in err


def test_demo_detects_with_support_images_and_draws(trained, tools, capsys,
                                                    run_tool, tmp_path):
    data = trained['cwd'] / 'data/toy_det'
    support = tmp_path / 'support'
    (support / 'star').mkdir(parents=True)
    image = mmcv.imread(str(next((data / 'JPEGImages').glob('*.jpg'))))
    mmcv.imwrite(image, str(support / 'star' / 'a.jpg'))
    (support / 'star' / 'a.txt').write_text('10 12 60 70')
    mmcv.imwrite(image, str(support / 'circle_2.png'))
    out_file = tmp_path / 'result.png'
    query = sorted((data / 'JPEGImages').glob('*.jpg'))[-1]
    status, out, err = run_tool(tools['demo'], [
        ONE_SHOT,
        str(trained['checkpoint']), '--support-dir',
        str(support), '--query',
        str(query), '--out-file',
        str(out_file), '--score-thr', '0', '--device', 'cpu'
    ], capsys)
    assert status == 0, err
    assert 'support: 2 images of 2 classes (circle, star)' in out
    detections = [
        line.split()[0] for line in out.splitlines() if line.startswith('  ')
    ]
    assert detections and set(detections) <= {'circle', 'star'}
    picture = mmcv.imread(str(out_file))
    # the detections and, to their right, a row of support crops per class
    assert picture.shape[0] >= 128 and picture.shape[1] > picture.shape[0]
    # an unknown class and a bad box file are named
    (support / 'zebra.jpg').write_bytes(
        (support / 'circle_2.png').read_bytes())
    status, _, err = run_tool(tools['demo'], [
        ONE_SHOT,
        str(trained['checkpoint']), '--support-dir',
        str(support), '--query',
        str(query), '--device', 'cpu'
    ], capsys)
    assert status == 2 and "'zebra'" in err
    (support / 'zebra.jpg').unlink()
    (support / 'star' / 'a.txt').write_text('10 12 60')
    status, _, err = run_tool(tools['demo'], [
        ONE_SHOT,
        str(trained['checkpoint']), '--support-dir',
        str(support), '--query',
        str(query), '--device', 'cpu'
    ], capsys)
    assert status == 2 and 'a.txt' in err


@pytest.mark.parametrize('method', sorted(TOY))
def test_own_support_images_drive_the_detections(method, workspace,
                                                 monkeypatch):
    """process_support_images with whole images and boxes, for every
    method (random toy weights: the path, not the accuracy)."""
    monkeypatch.chdir(workspace)
    config = str(CONFIGS / f'{TOY[method]}_1shot-fine-tuning.py')
    model = init_detector(
        config,
        device='cpu',
        cfg_options={'model.test_cfg.rcnn.score_thr': 0.0})
    data = workspace / 'data/toy_det/JPEGImages'
    files = sorted(str(p) for p in data.glob('*.jpg'))[:3]
    classes = process_support_images(
        model, [files[0], mmcv.imread(files[1]), files[2]],
        ['star', 'circle', 5], [None, [5, 5, 60, 50], None])
    assert classes == ['circle', 'hexagon', 'star']
    assert sorted(model.support_cache) == [0, 5, 6]
    result = inference_detector(model, files[-1])
    assert set(result.pred_instances.labels.tolist()) <= {0, 5, 6}
    with pytest.raises(DataError, match='not inside'):
        process_support_images(model, [files[0]], ['star'], [[0, 0, 500, 9]])


def _by_image(path):
    import pickle
    with open(path, 'rb') as f:
        predictions = pickle.load(f)
    return {
        p['img_path']: (p['pred_instances']['bboxes'].numpy(),
                        p['pred_instances']['scores'].numpy())
        for p in predictions
    }


def _free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize('method', sorted(TOY))
def test_support_of_the_query_class_scores_it_higher(method, tools,
                                                     tmp_path_factory,
                                                     load_script):
    """After a short base training on toy data, support instances of the
    query's class give that class higher scores than support instances of
    another class presented under its name."""
    cwd = tmp_path_factory.mktemp(f'relevance_{method}')
    load_script('tools/data/detection/make_toy_dataset.py').main([
        str(cwd / 'data/toy_det'), '--num-trainval', '200', '--num-test', '20',
        '--shots', '1', '--split-seeds', '0'
    ])
    previous = os.getcwd()
    os.chdir(cwd)
    short = QUICK[:2] + [
        'train_cfg.max_iters=400', 'default_hooks.checkpoint.interval=400',
        'train_cfg.val_interval=400'
    ]
    try:
        pretrained = []
        if method == 'attention_rpn':
            # its toy base model starts from the Meta R-CNN toy base model
            assert tools['train'].main([
                BASE, '--work-dir',
                str(cwd / 'work_dirs/meta_rcnn'), '--cfg-options'
            ] + short) is None
            weights = cwd / 'work_dirs/meta_rcnn/iter_400.pth'
            pretrained = [
                f'model.backbone.init_cfg.checkpoint={weights}',
                f'model.roi_head.shared_head.init_cfg.checkpoint={weights}'
            ]
        base = str(CONFIGS / f'{TOY[method]}_base-training.py')
        work_dir = cwd / 'work_dirs/base'
        assert tools['train'].main(
            [base, '--work-dir',
             str(work_dir), '--cfg-options'] + short + pretrained) is None
        model = init_detector(
            base,
            str(work_dir / 'iter_400.pth'),
            device='cpu',
            cfg_options={'model.test_cfg.rcnn.score_thr': 0.0})
        own, other = _relevance_scores(model, cwd / 'data/toy_det')
    finally:
        os.chdir(previous)
    assert own > other


def _relevance_scores(model, data):
    """Mean top score of class c on test images showing c, with support of
    c and with support of another class labelled c."""
    import xml.etree.ElementTree as ET
    classes = list(model.dataset_meta['classes'])

    def objects(img_id):
        tree = ET.parse(osp.join(data, 'Annotations', f'{img_id}.xml'))
        return [(o.find('name').text, [
            float(o.find('bndbox').find(k).text) - 1
            for k in ('xmin', 'ymin', 'xmax', 'ymax')
        ]) for o in tree.findall('object') if o.find('difficult').text == '0']

    def ids(subset):
        with open(osp.join(data, 'ImageSets/Main', f'{subset}.txt')) as f:
            return [line.strip() for line in f if line.strip()]

    supports = {c: [] for c in classes}
    for img_id in ids('trainval'):
        for name, box in objects(img_id):
            if name in supports and len(supports[name]) < 5 and \
                    (box[2] - box[0]) * (box[3] - box[1]) >= 400:
                supports[name].append((osp.join(data, 'JPEGImages',
                                                f'{img_id}.jpg'), box))
    own, other = [], []
    for index, cls in enumerate(classes):
        decoy = classes[(index + 3) % len(classes)]
        queries = [
            osp.join(data, 'JPEGImages', f'{img_id}.jpg')
            for img_id in ids('test')
            if cls in {name
                       for name, _ in objects(img_id)}
        ][:4]
        for scores, support in ((own, supports[cls]), (other,
                                                       supports[decoy])):
            process_support_images(model, [s[0] for s in support],
                                   [cls] * len(support),
                                   [s[1] for s in support])
            for query in queries:
                pred = inference_detector(model, query).pred_instances
                scores.append(
                    float(pred.scores[pred.labels == index].max()) if (
                        pred.labels == index).any() else 0.)
    return float(np.mean(own)), float(np.mean(other))
