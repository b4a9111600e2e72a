import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.structures.bbox import HorizontalBoxes
from PIL import Image

from mmfewshot.detection.datasets.transforms import (CropInstance,
                                                     CropResizeInstance,
                                                     GenerateMask)
from mmfewshot.detection.registry import TRANSFORMS


def _results(box, height=100, width=120, img_path='img_0.jpg'):
    # Pixel value encodes the position so crops can be checked exactly.
    rows, cols = np.mgrid[0:height, 0:width]
    img = np.stack([rows, cols, np.full_like(rows, 7)], axis=2)
    return dict(
        img=img.astype(np.uint8),
        img_path=img_path,
        img_shape=(height, width),
        ori_shape=(height, width),
        gt_bboxes=HorizontalBoxes(torch.tensor([box], dtype=torch.float32)),
        gt_bboxes_labels=np.array([3]),
        gt_ignore_flags=np.array([False]))


def _box(results):
    return results['gt_bboxes'].tensor[0].tolist()


def test_transforms_are_registered():
    for name in ('CropInstance', 'CropResizeInstance', 'GenerateMask'):
        assert TRANSFORMS.get(name).__name__ == name


def test_crop_instance_exact_box():
    results = CropInstance()(_results([10, 20, 50, 60]))
    assert results['img'].shape == (40, 40, 3)
    assert results['img_shape'] == (40, 40)
    # row / col channels prove the crop starts at (y=20, x=10)
    assert results['img'][0, 0, 0] == 20 and results['img'][0, 0, 1] == 10
    assert results['img'][-1, -1, 0] == 59 and results['img'][-1, -1, 1] == 49
    assert _box(results) == [0, 0, 40, 40]
    assert isinstance(results['gt_bboxes'], HorizontalBoxes)
    assert results['gt_bboxes_labels'].tolist() == [3]


def test_crop_instance_context_is_clipped_at_borders():
    # 40x40 box, 50% context = 20 px on each side; left and top hit border
    results = CropInstance(context_ratio=0.5)(_results([10, 10, 50, 50]))
    assert results['img'].shape[:2] == (70, 70)
    assert _box(results) == [10, 10, 50, 50]
    # box touching the right / bottom border of the 120x100 image
    results = CropInstance(context_ratio=0.25)(_results([100, 80, 120, 100]))
    assert results['img'].shape[:2] == (25, 25)
    assert _box(results) == [5, 5, 25, 25]
    homography = results['homography_matrix']
    np.testing.assert_allclose(homography @ [100, 80, 1], [5, 5, 1])


def test_crop_instance_fractional_box_rounds_outwards():
    results = CropInstance()(_results([10.5, 20.25, 30.5, 40.75]))
    assert results['img'].shape[:2] == (21, 21)
    np.testing.assert_allclose(_box(results), [0.5, 0.25, 20.5, 20.75])


def test_crop_resize_instance_keeps_ratio_and_pads():
    # 40 wide, 20 high box + 10 px context -> 60x40 crop at (20, 30)
    transform = CropResizeInstance(
        num_context_pixels=10, target_size=(120, 100))
    results = transform(_results([30, 40, 70, 60]))
    assert results['img'].shape == (100, 120, 3)
    assert results['img_shape'] == (100, 120)
    # scale = min(120 / 60, 100 / 40) = 2 -> resized crop is 120x80
    np.testing.assert_allclose(_box(results), [20, 20, 100, 60])
    np.testing.assert_allclose(results['scale_factor'], (2.0, 2.0))
    assert (results['img'][80:] == 0).all()  # bottom padding
    assert (results['img'][:80, :, 2] == 7).all()  # image content
    np.testing.assert_allclose(results['homography_matrix'] @ [30, 40, 1],
                               [20, 20, 1])


def test_crop_resize_instance_small_image_is_enlarged():
    transform = CropResizeInstance(
        num_context_pixels=16, target_size=(320, 320))
    results = transform(_results([2, 3, 10, 9], height=12, width=16))
    # context covers the whole 16x12 image; scale = min(20, 26.7) = 20
    assert results['img'].shape == (320, 320, 3)
    np.testing.assert_allclose(_box(results), [40, 60, 200, 180])
    assert (results['img'][240:] == 0).all()


def test_generate_mask_channel():
    transform = GenerateMask(target_size=(60, 50))
    results = transform(_results([24, 20, 72, 60]))
    img = results['img']
    assert img.shape == (50, 60, 4)
    # scale (0.5, 0.5): box -> [12, 10, 36, 30]
    np.testing.assert_allclose(_box(results), [12, 10, 36, 30])
    mask = img[..., 3]
    assert set(np.unique(mask).tolist()) == {0, 255}
    assert (mask[10:30, 12:36] == 255).all()
    assert mask.sum() == 255 * 20 * 24
    assert (img[..., 2] == 7).all()


def test_generate_mask_partial_pixels_and_border_box():
    results = GenerateMask(target_size=(120, 100))(
        _results([110.5, 90.2, 130, 100]))
    mask = results['img'][..., 3]
    # box clipped to the image: [110.5, 90.2, 120, 100]
    assert (mask[90:, 110:] == 255).all()
    assert mask.sum() == 255 * 10 * 10


@pytest.mark.parametrize('transform', [
    CropInstance(),
    CropResizeInstance(),
    GenerateMask(),
])
def test_zero_area_box_names_image(transform):
    with pytest.raises(ValueError, match='dog_17.jpg'):
        transform(_results([30, 30, 30, 50], img_path='dog_17.jpg'))
    with pytest.raises(ValueError, match='outside.jpg'):
        transform(_results([130, 10, 150, 50], img_path='outside.jpg'))


def test_more_than_one_instance_is_an_error():
    results = _results([10, 10, 20, 20], img_path='two.jpg')
    results['gt_bboxes'] = HorizontalBoxes(
        torch.tensor([[10, 10, 20, 20], [30, 30, 40, 40]],
                     dtype=torch.float32))
    with pytest.raises(ValueError, match='2 boxes in image two.jpg'):
        CropInstance()(results)


def test_pipeline_from_files(tmp_path):
    path = tmp_path / 'cat.png'
    pixels = np.zeros((40, 50, 3), dtype=np.uint8)
    pixels[10:30, 5:25] = 200
    Image.fromarray(pixels).save(path)
    pipeline = Compose([
        TRANSFORMS.build(dict(type='LoadImageFromFile')),
        TRANSFORMS.build(dict(type='LoadAnnotations', with_bbox=True)),
        TRANSFORMS.build(dict(type='CropInstance', context_ratio=0.0)),
        TRANSFORMS.build(dict(type='PackDetInputs')),
    ])
    output = pipeline(
        dict(
            img_path=str(path),
            img_id=0,
            instances=[
                dict(bbox=[5, 10, 25, 30], bbox_label=1, ignore_flag=0)
            ]))
    assert output['inputs'].shape == (3, 20, 20)
    assert (output['inputs'] == 200).all()
    instances = output['data_samples'].gt_instances
    assert instances.bboxes.tensor.tolist() == [[0, 0, 20, 20]]
    assert instances.labels.tolist() == [1]
