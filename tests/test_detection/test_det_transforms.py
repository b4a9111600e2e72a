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


def test_crop_instance_cuts_a_square_centred_on_the_box():
    # The original's CropInstance: a 40 x 20 box gives a 40 x 40 square
    # (the old CropInstance cut the 40 x 20 box itself).
    results = CropInstance()(_results([10, 20, 50, 40]))
    assert results['img'].shape == (40, 40, 3)
    assert results['img_shape'] == (40, 40)
    # row / col channels: the square starts at (y=10, x=10)
    assert results['img'][0, 0, :2].tolist() == [10, 10]
    assert results['img'][-1, -1, :2].tolist() == [49, 49]
    assert _box(results) == [0, 10, 40, 30]
    assert isinstance(results['gt_bboxes'], HorizontalBoxes)
    assert results['gt_bboxes_labels'].tolist() == [3]


def test_crop_resize_instance_square_of_real_context():
    # 40 x 20 box + 10 px on both ends of its longer side: a 60 x 60 square
    # centred on the box, all of it image (the old transform cut 60 x 40
    # and padded 20 rows of zeros)
    transform = CropResizeInstance(num_context_pixels=10, target_size=(60, 60))
    results = transform(_results([30, 40, 70, 60]))
    img = results['img']
    assert img.shape == (60, 60, 3) and img.dtype == np.uint8
    assert results['img_shape'] == (60, 60)
    assert img[0, 0].tolist() == [20, 20, 7]
    assert img[-1, -1].tolist() == [79, 79, 7]
    assert _box(results) == [10, 20, 50, 40]
    np.testing.assert_allclose(results['homography_matrix'] @ [30, 40, 1],
                               [10, 20, 1])


def test_crop_resize_instance_clips_at_borders_and_centres_the_crop():
    # 8 x 6 box in a 16 x 12 image, 16 px context: the long side is clipped
    # to the 16 image columns; the 16-row window around the box's centre
    # (row 6) starts at -2 and ends at 14, clipped to the 12 image rows,
    # which are pasted in the middle of the 16 x 16 square (2 zero rows
    # above and below); then everything is scaled by 320 / 16 = 20.
    transform = CropResizeInstance(
        num_context_pixels=16, target_size=(320, 320))
    results = transform(_results([2, 3, 10, 9], height=12, width=16))
    img = results['img']
    assert img.shape == (320, 320, 3)
    assert _box(results) == [40, 100, 200, 220]
    assert results['scale_factor'] == (20.0, 20.0)
    assert not img[:29].any() and not img[291:].any()
    assert (img[51:269, :, 2] >= 6).all()
    np.testing.assert_allclose(
        results['homography_matrix'] @ [2, 3, 1], [40, 100, 1], atol=1e-4)


def test_crop_resize_instance_tall_box_keeps_the_original_rounding():
    # 9 x 21 box: the 21 rows are the square's side; the 21-column window
    # around int((41 + 50) / 2) = 45 starts at int(45 - 10.5) = 34. The
    # original puts the box at ceil((21 - 9) / 2) = 6 in it, one pixel left
    # of where column 41 lands (7): that is what it trained on.
    transform = CropResizeInstance(num_context_pixels=0, target_size=(21, 21))
    results = transform(_results([41, 10, 50, 31]))
    img = results['img']
    assert img.shape == (21, 21, 3)
    assert img[0, 0, :2].tolist() == [10, 34]
    assert img[-1, -1, :2].tolist() == [30, 54]
    assert _box(results) == [6, 0, 15, 21]


def test_generate_mask_channel():
    transform = GenerateMask(target_size=(60, 50))
    results = transform(_results([24, 20, 72, 60]))
    img = results['img']
    assert img.shape == (50, 60, 4) and img.dtype == np.float32
    # scale (0.5, 0.5): box -> [12, 10, 36, 30]
    np.testing.assert_allclose(_box(results), [12, 10, 36, 30])
    mask = img[..., 3]
    assert set(np.unique(mask).tolist()) == {0, 255}
    assert (mask[10:30, 12:36] == 255).all()
    assert mask.sum() == 255 * 20 * 24
    np.testing.assert_allclose(img[..., 2], 7, atol=1e-4)
    # resized as float: the mean of columns 2x and 2x + 1, not rounded
    np.testing.assert_allclose(img[0, :, 1], np.arange(60) * 2 + 0.5)


def test_generate_mask_truncates_partial_pixels():
    # resized box [12.5, 10.5, 36.5, 30.5]: rows int(10.5):int(30.5), columns
    # int(12.5):int(36.5), as the original (not the covered pixels 10:31)
    results = GenerateMask(target_size=(60, 50))(_results([25, 21, 73, 61]))
    mask = results['img'][..., 3]
    assert (mask[10:30, 12:36] == 255).all()
    assert mask.sum() == 255 * 20 * 24


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
