"""Our six detectors against the original toolbox (MMFewShot 0.1.0 on
mmdet 2.x), on golden outputs the original computed.

``tools/reference/generate_golden_detection.py`` built each method in the
original's environment from the original's release config (VOC split 1
fine-tuning) with a shrink (narrow ResNet and heads, fewer proposals,
samplers that take every candidate), gave it fixed weights and recorded
them (original key names), the inputs and the outputs. Here the weights go
through our converter, our model is built from our config of the same
name with the same shrink, and ours must compute the same:

- RPN proposals and final detections: the same number, the same labels,
  boxes within 0.01 px (proposals and detections are decoded from the
  same float32 deltas: ours and the original's agree to ~1e-4 px, 0.01 px
  leaves room for another BLAS summation order, far below a pixel),
  scores within 1e-4 relative (float32 logits of a deep network agree to
  ~1e-6; 1e-4 still separates any change of the computation);
- training losses (every candidate sampled, so no randomness): within
  1e-4 relative, with the same tolerance reasoning; accuracies exactly up
  to float32 rounding (1e-4 absolute, in percent).

No legacy environment is needed: the fixtures are under
``tests/data/reference/detection`` (see ``tools/reference/README.md`` to
regenerate them).
"""
import copy
import pickle
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils.original_checkpoint import (convert_original_checkpoint,
                                                 load_original_checkpoint)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / 'tests' / 'data' / 'reference' / 'detection'
METHODS = ('tfa', 'fsce', 'mpsr', 'meta_rcnn', 'fsdetview', 'attention_rpn')

BOX_ATOL = 0.01  # pixels
SCORE_RTOL = 1e-4
LOSS_RTOL = 1e-4
ACC_ATOL = 1e-4  # percent


def expand_blocks(blocks: torch.Tensor) -> torch.Tensor:
    """An image stored as its 8 x 8 blocks (one pixel per block)."""
    return blocks.repeat_interleave(8, 0).repeat_interleave(8, 1)


def load_golden(method: str) -> dict:
    """The fixture, with the images expanded from their stored blocks."""
    golden = torch.load(
        FIXTURES / method / 'golden.pth',
        map_location='cpu',
        weights_only=True)
    inputs = golden['inputs']
    for owner in (inputs, inputs.get('support')):
        if owner is not None:
            owner['images'] = [expand_blocks(b) for b in owner['images']]
    return golden


def build_ours(golden: dict) -> torch.nn.Module:
    """Our model from our config of the golden's name, with its shrink and
    the original's weights converted by our converter."""
    cfg = Config.fromfile(str(ROOT / golden['config']))
    cfg.merge_from_dict(copy.deepcopy(golden['shrink']), allow_list_keys=True)
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        model = MODELS.build(cfg.model)
    checkpoint = load_original_checkpoint(
        str(FIXTURES / golden['method'] / 'weights.pth'))
    converted = convert_original_checkpoint(checkpoint, golden['method'])
    model.load_state_dict(converted['state_dict'], strict=True)
    model.dataset_meta = converted['meta']['dataset_meta']
    return model


def det_sample(image: torch.Tensor,
               bboxes=None,
               labels=None,
               **meta) -> DetDataSample:
    height, width = image.shape[:2]
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(height, width),
            ori_shape=(height, width),
            scale_factor=(1., 1.),
            **meta))
    if bboxes is not None:
        sample.gt_instances = InstanceData(
            bboxes=bboxes.float(), labels=labels.long())
    return sample


def chw(image: torch.Tensor) -> torch.Tensor:
    """HWC uint8 -> CHW uint8."""
    return image.permute(2, 0, 1).contiguous()


def query_batch(golden: dict, indices: List[int], with_gt: bool) -> dict:
    inputs = golden['inputs']
    return dict(
        inputs=[chw(inputs['images'][i]) for i in indices],
        data_samples=[
            det_sample(inputs['images'][i],
                       inputs['bboxes'][i] if with_gt else None,
                       inputs['labels'][i] if with_gt else None)
            for i in indices
        ])


def support_batch(golden: dict, indices: List[int]) -> dict:
    """Support instances as our support pipelines deliver them: the crop,
    plus the 255 box mask of ``GenerateMask`` for Meta R-CNN/FSDetView."""
    support = golden['inputs']['support']
    masks = support.get('masks')
    images = []
    for i in indices:
        image = chw(support['images'][i])
        if masks is not None:
            image = torch.cat([image, masks[i][None]])
        images.append(image)
    return dict(
        inputs=images,
        data_samples=[
            det_sample(support['images'][i], support['bboxes'][i],
                       support['labels'][i]) for i in indices
        ])


def auxiliary_batches(golden: dict) -> List[dict]:
    """MPSR's object crops, scale by scale (stored as 8 x 8 blocks)."""
    auxiliary = golden['inputs']['auxiliary']
    batches = []
    for scale, blocks in enumerate(auxiliary['blocks']):
        crops = [expand_blocks(block) for block in blocks]
        batches.append(
            dict(
                inputs=[chw(crop) for crop in crops],
                data_samples=[
                    det_sample(
                        crop,
                        torch.tensor([[0., 0., crop.shape[1], crop.shape[0]]]),
                        auxiliary['labels'][scale]) for crop in crops
                ]))
    return batches


class Recorder:
    """Wraps a method of a module and keeps what it returns."""

    def __init__(self, module: torch.nn.Module, name: str) -> None:
        self.calls: list = []
        method = getattr(module, name)

        def wrapped(*args, **kwargs):
            result = method(*args, **kwargs)
            self.calls.append(result)
            return result

        setattr(module, name, wrapped)


# ------------------------------------------------------------- comparing
def canonical(bboxes: torch.Tensor, scores: torch.Tensor,
              labels: torch.Tensor) -> tuple:
    """Detections ordered by label, then score (best first), then box."""
    keys = np.lexsort(
        (bboxes[:, 1].numpy(), bboxes[:, 0].numpy(), -scores.numpy(),
         labels.numpy()))
    order = torch.from_numpy(keys)
    return bboxes[order], scores[order], labels[order]


def deviations(
        bboxes: torch.Tensor,
        their_bboxes: torch.Tensor,
        scores: Optional[torch.Tensor] = None,
        their_scores: Optional[torch.Tensor] = None) -> Dict[str, float]:
    """The largest box deviation (pixels) and relative score deviation
    (0 without scores or boxes)."""
    if not len(bboxes):
        return dict(box=0., score=0.)
    score = 0.
    if scores is not None:
        score = float(((scores - their_scores).abs() /
                       their_scores.abs().clamp(min=1e-12)).max())
    return dict(box=float((bboxes - their_bboxes).abs().max()), score=score)


def assert_detections(ours: Dict[str, torch.Tensor],
                      theirs: Dict[str, torch.Tensor],
                      what: str) -> Dict[str, float]:
    """Same labels, boxes within BOX_ATOL, scores within SCORE_RTOL;
    returns the largest deviations (see :func:`deviations`)."""
    ours_sorted = canonical(ours['bboxes'].detach().cpu(),
                            ours['scores'].detach().cpu(),
                            ours['labels'].detach().cpu())
    theirs_sorted = canonical(theirs['bboxes'], theirs['scores'],
                              theirs['labels'])
    assert len(ours_sorted[0]) == len(theirs_sorted[0]), \
        f'{what}: {len(ours_sorted[0])} detections, the original ' \
        f'{len(theirs_sorted[0])}'
    assert torch.equal(ours_sorted[2], theirs_sorted[2]), f'{what}: labels'
    torch.testing.assert_close(
        ours_sorted[1],
        theirs_sorted[1],
        rtol=SCORE_RTOL,
        atol=1e-7,
        msg=lambda m: f'{what} scores: {m}')
    torch.testing.assert_close(
        ours_sorted[0],
        theirs_sorted[0],
        rtol=0,
        atol=BOX_ATOL,
        msg=lambda m: f'{what} boxes: {m}')
    return deviations(ours_sorted[0], theirs_sorted[0], ours_sorted[1],
                      theirs_sorted[1])


def assert_proposals(ours: InstanceData, theirs: torch.Tensor,
                     what: str) -> Dict[str, float]:
    """Proposals in the original's order (best first); ``theirs`` is (n, 5)
    boxes and scores, or (n, 4) boxes (MPSR's RPN returns no scores at test
    time); returns the largest deviations (see :func:`deviations`)."""
    bboxes = ours.bboxes.detach().cpu()
    scores = ours.scores.detach().cpu()
    assert len(bboxes) == len(theirs), \
        f'{what}: {len(bboxes)} proposals, the original {len(theirs)}'
    if theirs.shape[1] == 5:
        torch.testing.assert_close(
            scores,
            theirs[:, 4],
            rtol=SCORE_RTOL,
            atol=1e-7,
            msg=lambda m: f'{what} scores: {m}')
    torch.testing.assert_close(
        bboxes,
        theirs[:, :4],
        rtol=0,
        atol=BOX_ATOL,
        msg=lambda m: f'{what} boxes: {m}')
    if theirs.shape[1] == 4:
        return deviations(bboxes, theirs)
    return deviations(bboxes, theirs[:, :4], scores, theirs[:, 4])


def summed(losses: dict) -> Dict[str, torch.Tensor]:
    out = {}
    for key, value in losses.items():
        if isinstance(value, (list, tuple)):
            value = sum(v.sum() for v in value)
        out[key] = value.detach().float().reshape(-1).sum()
    return out


def assert_losses(method: str, ours: dict,
                  theirs: dict) -> Dict[str, Dict[str, float]]:
    """Every loss and accuracy of the original, by name (ours has the same
    names and no others); returns the absolute and relative deviation of
    every loss."""
    ours = summed(ours)
    assert sorted(ours) == sorted(theirs), method
    worst = {}
    for key, value in theirs.items():
        if 'acc' in key:
            torch.testing.assert_close(
                ours[key],
                value,
                rtol=0,
                atol=ACC_ATOL,
                msg=lambda m: f'{method} {key}: {m}')
            continue
        torch.testing.assert_close(
            ours[key],
            value,
            rtol=LOSS_RTOL,
            atol=1e-7,
            msg=lambda m: f'{method} {key}: {m}')
        difference = float((ours[key] - value).abs())
        worst[key] = dict(
            abs=difference, rel=difference / max(float(value.abs()), 1e-12))
    return worst


# --------------------------------------------------------------- running
_MODELS: Dict[str, torch.nn.Module] = {}


def fresh_model(method: str, golden: dict) -> torch.nn.Module:
    """A copy of our converted model (built once per method)."""
    if method not in _MODELS:
        _MODELS[method] = build_ours(golden)
    return copy.deepcopy(_MODELS[method])


def kind_of(method: str) -> str:
    return {
        'meta_rcnn': 'query_support',
        'fsdetview': 'query_support',
        'attention_rpn': 'query_support'
    }.get(method, 'fine_tune')


def expected_inputs(golden: dict, images: List[torch.Tensor]) -> torch.Tensor:
    """What the original's ``Normalize`` makes of the images."""
    norm = golden['img_norm_cfg']
    batch = torch.stack([image.float() for image in images])
    if norm['to_rgb']:
        batch = batch[..., [2, 1, 0]]
    mean = torch.tensor(norm['mean'])
    std = torch.tensor(norm['std'])
    return ((batch - mean) / std).permute(0, 3, 1, 2)


def model_init(model: torch.nn.Module, golden: dict) -> None:
    support = golden['inputs']['support']
    batch = support_batch(golden, list(range(len(support['labels']))))
    data = model.data_preprocessor(dict(support_data=batch), False)
    with torch.no_grad():
        model(**data, mode='model_init')
    model.model_init()


def run_inference(method: str, golden: dict) -> Dict[str, float]:
    """Our proposals and detections of every query image against the
    original's; returns the largest deviations of their boxes (pixels) and
    scores (relative), e.g. ``proposals_box``."""
    model = fresh_model(method, golden)
    model.eval()
    if kind_of(method) == 'query_support':
        model_init(model, golden)
    name = 'predict_with_support' if method == 'attention_rpn' else 'predict'
    recorder = Recorder(model.rpn_head, name)
    worst = dict(
        proposals_box=0.,
        proposals_score=0.,
        detections_box=0.,
        detections_score=0.)

    def keep(what: str, found: Dict[str, float]) -> None:
        for key, value in found.items():
            worst[f'{what}_{key}'] = max(worst[f'{what}_{key}'], value)

    outputs = golden['outputs']
    for index, image in enumerate(golden['inputs']['images']):
        data = model.data_preprocessor(
            query_batch(golden, [index], with_gt=False), False)
        torch.testing.assert_close(
            data['inputs'],
            expected_inputs(golden, [image]),
            rtol=0,
            atol=1e-4)
        with torch.no_grad():
            result = model.predict(
                data['inputs'], data['data_samples'], rescale=False)[0]
        proposals = recorder.calls[-1]
        if method == 'attention_rpn':
            theirs = outputs['proposals'][index]
            assert len(proposals) == len(theirs)
            for ours, label in zip(proposals, sorted(theirs)):
                keep(
                    'proposals',
                    assert_proposals(
                        ours, theirs[label],
                        f'{method} image {index} class {label}'
                        ' proposals'))
        else:
            keep(
                'proposals',
                assert_proposals(proposals[0], outputs['proposals'][index],
                                 f'{method} image {index} proposals'))
        keep(
            'detections',
            assert_detections(
                dict(
                    bboxes=result.pred_instances.bboxes,
                    scores=result.pred_instances.scores,
                    labels=result.pred_instances.labels),
                outputs['detections'][index],
                f'{method} image {index} detections'))
    return worst


def run_losses(method: str, golden: dict) -> dict:
    """Our training losses of the golden batch."""
    model = fresh_model(method, golden)
    model.train()
    query = query_batch(golden, [0, 1], with_gt=True)
    if kind_of(method) == 'query_support':
        batch = dict(
            query_data=query,
            support_data=support_batch(golden,
                                       golden['inputs']['train_support']))
    elif method == 'mpsr':
        batch = dict(main_data=query, auxiliary_data=auxiliary_batches(golden))
    else:
        batch = query
    data = model.data_preprocessor(batch, True)
    return model(**data, mode='loss')


# ----------------------------------------------------------------- tests
@pytest.mark.parametrize('method', METHODS)
def test_original_checkpoint_converts(method):
    """Every key of the original's model is claimed; the converted weights
    fit our model of the same config exactly, with the class names."""
    golden = load_golden(method)
    checkpoint = load_original_checkpoint(
        str(FIXTURES / method / 'weights.pth'))
    converted = convert_original_checkpoint(checkpoint, method)
    model = fresh_model(method, golden)
    ours = model.state_dict()
    assert sorted(converted['state_dict']) == sorted(ours)
    for key, value in converted['state_dict'].items():
        assert torch.equal(value, ours[key]), key
    assert list(converted['meta']['dataset_meta']['classes']) == \
        golden['classes']


@pytest.mark.parametrize('method', METHODS)
def test_inference_equals_the_original(method):
    run_inference(method, load_golden(method))


@pytest.mark.parametrize('method', METHODS)
def test_losses_equal_the_original(method):
    golden = load_golden(method)
    assert_losses(method, run_losses(method, golden),
                  golden['outputs']['losses'])


# ------------------------------------------- the tools on converted weights
def cfg_options(shrink: dict) -> List[str]:
    """``--cfg-options`` items of a shrink."""
    items = []
    for key, value in shrink.items():
        if isinstance(value, (list, tuple)):
            value = '[' + ','.join(str(v) for v in value) + ']'
        items.append(f'{key}={value}')
    return items


def convert_with_cli(method: str, out: Path, load_script, run_tool,
                     capsys) -> None:
    status, stdout, stderr = run_tool(
        load_script('tools/model_converters/convert_original_checkpoint.py'),
        [str(FIXTURES / method / 'weights.pth'),
         str(out), '--method', method], capsys)
    assert status == 0, stderr
    assert 'classes: aeroplane, bicycle' in stdout


def test_inference_api_reproduces_the_original_with_converted_weights(
        tmp_path, load_script, run_tool, capsys):
    """TFA: the converter tool's output, ``init_detector`` and
    ``inference_detector`` (test pipeline at scale 1) give the original's
    detections."""
    from mmfewshot.detection.apis import inference_detector, init_detector
    golden = load_golden('tfa')
    converted = tmp_path / 'tfa.pth'
    convert_with_cli('tfa', converted, load_script, run_tool, capsys)
    height, width = golden['inputs']['images'][0].shape[:2]
    options = copy.deepcopy(golden['shrink'])
    options['test_dataloader.dataset.pipeline.1.scale'] = (width, height)
    model = init_detector(
        str(ROOT / golden['config']),
        str(converted),
        device='cpu',
        cfg_options=options)
    assert model.dataset_meta['classes'] == tuple(golden['classes'])
    results = inference_detector(
        model, [image.numpy() for image in golden['inputs']['images']])
    for index, result in enumerate(results):
        assert result.metainfo['scale_factor'] == (1., 1.)
        assert_detections(
            dict(
                bboxes=result.pred_instances.bboxes,
                scores=result.pred_instances.scores,
                labels=result.pred_instances.labels),
            golden['outputs']['detections'][index],
            f'inference_detector image {index}')


def write_voc_test_set(root: Path, golden: dict) -> None:
    """The support images the converted checkpoint names (lossless PNG
    data under their .jpg names) and the two query images as a VOC test
    set."""
    import cv2
    images = root / 'VOC2007' / 'JPEGImages'
    images.mkdir(parents=True)
    for index, image in enumerate(golden['inputs']['support']['images']):
        (images / f'{index:06d}.jpg').write_bytes(
            cv2.imencode('.png', image.numpy())[1].tobytes())
    (root / 'VOC2007' / 'Annotations').mkdir()
    (root / 'VOC2007' / 'ImageSets' / 'Main').mkdir(parents=True)
    names = []
    for index, image in enumerate(golden['inputs']['images']):
        name = f'{100 + index:06d}'
        names.append(name)
        cv2.imwrite(str(images / f'{name}.jpg'), image.numpy())
        height, width = image.shape[:2]
        objects = ''.join(
            f'<object><name>{golden["classes"][int(label)]}</name>'
            '<difficult>0</difficult><bndbox>'
            f'<xmin>{int(box[0]) + 1}</xmin><ymin>{int(box[1]) + 1}</ymin>'
            f'<xmax>{int(box[2])}</xmax><ymax>{int(box[3])}</ymax>'
            '</bndbox></object>'
            for box, label in zip(golden['inputs']['bboxes'][index],
                                  golden['inputs']['labels'][index]))
        (root / 'VOC2007' / 'Annotations' / f'{name}.xml').write_text(
            f'<annotation><size><width>{width}</width><height>{height}'
            f'</height><depth>3</depth></size>{objects}</annotation>')
    (root / 'VOC2007' / 'ImageSets' / 'Main' /
     'test.txt').write_text('\n'.join(names) + '\n')


def test_test_tool_runs_a_converted_query_support_checkpoint(
        tmp_path, monkeypatch, load_script, run_tool, capsys):
    """Meta R-CNN: the original's checkpoint (mmcv 1.x format, with its
    support set) converted by the tool runs in tools/detection/test.py,
    which initialises the model with the checkpoint's support set (the
    config copies the support set of training, and predicting without one
    is an error, so detections mean it was used). Small images keep it
    fast."""
    golden = load_golden('meta_rcnn')
    monkeypatch.chdir(tmp_path)
    converted = tmp_path / 'meta_rcnn.pth'
    convert_with_cli('meta_rcnn', converted, load_script, run_tool, capsys)
    write_voc_test_set(tmp_path / 'data' / 'VOCdevkit', golden)
    status, stdout, stderr = run_tool(
        load_script('tools/detection/test.py'), [
            str(ROOT / golden['config']),
            str(converted), '--work-dir',
            str(tmp_path / 'work'), '--cfg-options',
            *cfg_options(golden['shrink']), 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False',
            'test_dataloader.dataset.pipeline.1.scale=(160,128)',
            'test_cfg.model_init_dataloader.num_workers=0',
            'test_cfg.model_init_dataloader.dataset.pipeline.2.target_size='
            '(64,64)', '--out',
            str(tmp_path / 'detections.pkl')
        ], capsys)
    assert status == 0, stderr
    assert 'AP by class split' in stdout
    assert 'NOVEL_CLASSES_SPLIT1' in stdout
    assert (tmp_path / 'work' / 'test_results.json').is_file()
    with open(tmp_path / 'detections.pkl', 'rb') as f:
        detections = pickle.load(f)
    assert len(detections) == 2
    assert all(len(d['pred_instances']['labels']) for d in detections)


def deviation_table() -> str:
    """The largest deviations from the original, method by method (a
    Markdown table; run this file as a script to print it)."""
    rows = [
        '| method | proposals: box px, score rel | detections: box px, '
        'score rel | losses: max abs (rel) |', '| --- | --- | --- | --- |'
    ]
    for method in METHODS:
        golden = load_golden(method)
        found = run_inference(method, golden)
        losses = assert_losses(method, run_losses(method, golden),
                               golden['outputs']['losses'])
        name, loss = max(losses.items(), key=lambda item: item[1]['abs'])
        loss_text = f'{loss["abs"]:.2g} ({loss["rel"]:.2g}, {name})' \
            if loss['abs'] else f'0 (all {len(losses)})'
        rows.append(f'| {method} | {found["proposals_box"]:.2g}, '
                    f'{found["proposals_score"]:.2g} | '
                    f'{found["detections_box"]:.2g}, '
                    f'{found["detections_score"]:.2g} | {loss_text} |')
    return '\n'.join(rows)


if __name__ == '__main__':
    print(deviation_table())
