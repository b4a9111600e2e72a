"""MPSR's auxiliary data: square object crops at every scale, and the data
preprocessor that normalises main images and crops."""
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.datasets.multi_scale_transforms import (
    MultiImageRandomCrop, ResizeToMultiScale)
from mmfewshot.detection.datasets.transforms import CropInstance
from mmfewshot.detection.registry import MODELS, TRANSFORMS
from mmfewshot.utils import ConfigError, ConfigTypeError, DataError

SCALES = (32, 64, 128, 256, 512, 800)
MEAN = [102.9801, 115.9465, 122.7717]


def _results(box, height=100, width=120, label=3):
    # channel 0 / 1 hold the row / column (mod 256): crops can be checked
    rows, cols = np.mgrid[0:height, 0:width]
    img = np.stack([rows % 256, cols % 256, np.full_like(rows, 7)], axis=2)
    return dict(
        img=img.astype(np.uint8),
        img_path='img_0.jpg',
        img_id='img_0',
        img_shape=(height, width),
        ori_shape=(height, width),
        gt_bboxes=HorizontalBoxes(torch.tensor([box], dtype=torch.float32)),
        gt_bboxes_labels=np.array([label]),
        gt_ignore_flags=np.array([False]))


def _box(results):
    return results['gt_bboxes'].tensor[0].tolist()


def auxiliary_pipeline(scales=SCALES, flip=0.5):
    return Compose([
        TRANSFORMS.build(t) for t in [
            dict(type='CropInstance', context_ratio=1 / 7.),
            dict(
                type='ResizeToMultiScale',
                scales=[(s * 8 / 7., s * 8 / 7.) for s in scales]),
            dict(
                type='MultiImageRandomCrop',
                crop_sizes=[(s, s) for s in scales]),
            dict(type='MultiImageRandomFlip', prob=flip),
            dict(type='MultiImagePackDetInputs')
        ]
    ])


def test_transforms_are_registered():
    for name in ('CropInstance', 'ResizeToMultiScale', 'MultiImageRandomCrop',
                 'MultiImageRandomFlip', 'MultiImagePackDetInputs'):
        assert TRANSFORMS.get(name).__name__ == name


def test_square_crop_is_centred_on_the_box():
    # 40 x 20 box: side int(40 * 8 / 7) = 45, corner int((10 + 50 - 45) / 2)
    # = 7 and int((20 + 40 - 45) / 2) = 7
    results = CropInstance(1 / 7.)(_results([10, 20, 50, 40]))
    assert results['img'].shape == (45, 45, 3)
    assert results['img_shape'] == (45, 45)
    assert results['img'][0, 0, :2].tolist() == [7, 7]
    assert results['img'][-1, -1, :2].tolist() == [51, 51]
    assert _box(results) == [3, 13, 43, 33]
    assert results['gt_bboxes_labels'].tolist() == [3]
    homography = results['homography_matrix']
    np.testing.assert_allclose(homography @ [10, 20, 1], [3, 13, 1])


def test_square_crop_pads_with_zeros_outside_the_image():
    # 20 x 10 box in the top-left corner: side 22, corner int(-1) = -1 and
    # int(-6) = -6, so one zero column and six zero rows come first
    results = CropInstance(1 / 7.)(_results([0, 0, 20, 10]))
    img = results['img']
    assert img.shape == (22, 22, 3)
    assert not img[:6].any() and not img[:, :1].any()
    assert img[6, 1].tolist() == [0, 0, 7]
    assert img[21, 21, :2].tolist() == [15, 20]
    assert _box(results) == [1, 6, 21, 16]
    # box at the bottom-right corner of the 120 x 100 image: zeros after it
    results = CropInstance(1 / 7.)(_results([100, 90, 120, 100]))
    img = results['img']
    assert img.shape == (22, 22, 3)
    assert img[0, 0, :2].tolist() == [84, 99]
    assert not img[16:].any() and not img[:, 21:].any()
    # Python's int truncates towards zero: int((0 + 40 - 45) / 2) = -2,
    # int((30 + 50 - 45) / 2) = 17
    results = CropInstance(1 / 7.)(_results([0, 30, 40, 50]))
    assert _box(results) == [2, 13, 42, 33]


def test_square_crop_rejects_boxes_it_cannot_crop():
    with pytest.raises(DataError, match='too small'):
        CropInstance()(_results([10, 10, 10.5, 10.5]))
    with pytest.raises(ConfigError, match='exactly one instance'):
        results = _results([10, 10, 30, 30])
        results['gt_bboxes'] = HorizontalBoxes(
            torch.tensor([[10., 10, 30, 30], [0, 0, 5, 5]]))
        CropInstance()(results)
    with pytest.raises(ConfigError, match='context_ratio'):
        CropInstance(-1)


@pytest.mark.parametrize(
    'box',
    [[10, 20, 50, 40], [0, 0, 20, 90], [95, 60, 120, 100], [30, 30, 31.5, 34]])
def test_one_crop_per_scale_of_the_expected_size(box):
    outputs = auxiliary_pipeline()(_results(box, label=5))
    assert isinstance(outputs, list) and len(outputs) == len(SCALES)
    for scale, packed in zip(SCALES, outputs):
        assert packed['inputs'].shape == (3, scale, scale)
        assert packed['inputs'].dtype == torch.uint8
        sample = packed['data_samples']
        assert sample.img_shape == (scale, scale)
        assert sample.gt_instances.labels.tolist() == [5]
        # the object fills the crop: its longer side is about the scale
        x1, y1, x2, y2 = sample.gt_instances.bboxes.tensor[0].tolist()
        assert 0 <= x1 < x2 <= scale and 0 <= y1 < y2 <= scale
        assert max(x2 - x1, y2 - y1) >= 0.8 * scale


def test_multi_scale_resize_keeps_the_ratio_of_the_square():
    square = CropInstance(1 / 7.)(_results([10, 20, 50, 40]))
    resized = ResizeToMultiScale([(s * 8 / 7., s * 8 / 7.) for s in SCALES])(
        square)
    # imrescale: int(45 * (s * 8 / 7) / 45 + 0.5)
    assert [r['img'].shape[:2] for r in resized] == [(37, 37), (73, 73),
                                                     (146, 146), (293, 293),
                                                     (585, 585), (914, 914)]
    # deep copies: the input is untouched
    assert square['img'].shape == (45, 45, 3)


def test_random_crop_offsets_and_flips_are_drawn_per_scale():
    np.random.seed(0)
    outputs = [
        auxiliary_pipeline(scales=(32, 32, 32, 32, 32, 32),
                           flip=0.5)(_results([10, 20, 50, 40]))
        for _ in range(4)
    ]
    images = [packed['inputs'] for output in outputs for packed in output]
    flips = {packed['data_samples'].flip for o in outputs for packed in o}
    assert flips == {True, False}
    distinct = {tuple(image.flatten().tolist()) for image in images}
    assert len(distinct) > 4


def test_multi_image_transforms_need_the_list_of_scales():
    with pytest.raises(ConfigTypeError, match='after ResizeToMultiScale'):
        TRANSFORMS.build(dict(type='MultiImageRandomFlip', prob=0.5))(
            _results([10, 10, 30, 30]))
    crop = MultiImageRandomCrop([(32, 32), (64, 64)])
    with pytest.raises(ConfigError, match='2 crop sizes for 3 scales'):
        crop([_results([10, 10, 30, 30]) for _ in range(3)])
    with pytest.raises(ConfigError, match='crop_sizes'):
        MultiImageRandomCrop([])
    with pytest.raises(ConfigError, match='scales'):
        ResizeToMultiScale([(32, 0)])


# ------------------------------------------------------------ preprocessor
def _sample(height, width, label=1):
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(height, width),
            ori_shape=(height, width),
            scale_factor=(1., 1.)))
    sample.gt_instances = InstanceData(
        bboxes=HorizontalBoxes(torch.tensor([[2., 3., 20., 25.]])),
        labels=torch.tensor([label]))
    return sample


def _main_batch(sizes=((40, 50), (60, 30))):
    return dict(
        inputs=[
            torch.full((3, h, w), 100, dtype=torch.uint8) for h, w in sizes
        ],
        data_samples=[_sample(h, w) for h, w in sizes])


def _auxiliary_batches(scales=(32, 64), num_instances=2):
    items = [[
        dict(
            inputs=torch.full((3, s, s), 200, dtype=torch.uint8),
            data_samples=_sample(s, s, label=i)) for s in scales
    ] for i in range(num_instances)]
    # what the auxiliary dataloader's pseudo_collate makes of the items
    return pseudo_collate(items)


def preprocessor(**kwargs):
    return MODELS.build(
        dict(
            type='TwoBranchDataPreprocessor',
            mean=MEAN,
            std=[1., 1., 1.],
            bgr_to_rgb=False,
            pad_size_divisor=32,
            **kwargs))


def test_preprocessor_normalises_and_stacks_each_scale():
    auxiliary = _auxiliary_batches()
    assert isinstance(auxiliary, list) and len(auxiliary) == 2
    assert len(auxiliary[0]['inputs']) == 2
    out = preprocessor()(dict(
        main_data=_main_batch(), auxiliary_data=auxiliary), True)
    assert set(out) == {
        'inputs', 'data_samples', 'auxiliary_inputs', 'auxiliary_data_samples'
    }
    # main images padded to the largest, then to a multiple of 32
    assert out['inputs'].shape == (2, 3, 64, 64)
    assert out['data_samples'][0].batch_input_shape == (64, 64)
    expected = torch.tensor([100 - m for m in MEAN])
    assert torch.allclose(out['inputs'][0, :, 0, 0], expected)
    for scale, inputs, samples in zip((32, 64), out['auxiliary_inputs'],
                                      out['auxiliary_data_samples']):
        assert inputs.shape == (2, 3, scale, scale)
        assert torch.allclose(inputs[1, :, -1, -1],
                              torch.tensor([200 - m for m in MEAN]))
        assert [s.gt_instances.labels.item() for s in samples] == [0, 1]
        assert samples[0].batch_input_shape == (scale, scale)
        # boxes as plain tensors, like the main branch
        assert isinstance(samples[0].gt_instances.bboxes, torch.Tensor)


def test_batch_augments_touch_only_the_main_images():
    out = preprocessor(
        batch_augments=[dict(type='BatchFixedSizePad', size=(128, 96))])(dict(
            main_data=_main_batch(), auxiliary_data=_auxiliary_batches()),
                                                                         True)
    assert out['inputs'].shape == (2, 3, 128, 96)
    assert [tuple(x.shape[-2:]) for x in out['auxiliary_inputs']] == \
        [(32, 32), (64, 64)]


def test_test_batches_take_the_main_path_and_bad_batches_are_named():
    out = preprocessor()(_main_batch(), False)
    assert set(out) == {'inputs', 'data_samples'}
    assert out['inputs'].shape == (2, 3, 64, 64)
    with pytest.raises(DataError, match='auxiliary_data'):
        preprocessor()(dict(main_data=_main_batch()), True)
    with pytest.raises(DataError, match='MultiImagePackDetInputs'):
        preprocessor()(dict(
            main_data=_main_batch(), auxiliary_data=_main_batch()), True)


def test_auxiliary_items_of_a_pipeline_collate_into_scale_batches():
    pipeline = auxiliary_pipeline(scales=(32, 64))
    items = [
        pipeline(_results(box))
        for box in ([10, 20, 50, 40], [60, 10, 100, 90])
    ]
    out = preprocessor()(dict(
        main_data=_main_batch(), auxiliary_data=pseudo_collate(items)), True)
    assert [tuple(x.shape) for x in out['auxiliary_inputs']] == \
        [(2, 3, 32, 32), (2, 3, 64, 64)]
