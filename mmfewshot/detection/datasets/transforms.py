"""Support-side transforms: turn one annotated instance into a support input.

Query-support detectors (Attention-RPN, Meta R-CNN, FSDetView) feed the
support branch with one object per image. The transforms here run after
``LoadImageFromFile`` and ``LoadAnnotations`` on a result dict that holds
exactly one box in ``results['gt_bboxes']`` (what an ``instance_wise``
dataset produces) and before ``PackDetInputs``.
"""
import math
from typing import Any, Dict, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import BaseBoxes

from mmfewshot.detection.registry import TRANSFORMS
from mmfewshot.utils.errors import ConfigError, ConfigKeyError, DataError


def _image_name(results: Dict[str, Any]) -> str:
    return str(results.get('img_path', results.get('img_id', '<unknown>')))


def _instance_box(results: Dict[str, Any], transform: str) -> np.ndarray:
    """Return the single box of ``results`` clipped to the image.

    Raises:
        KeyError: ``gt_bboxes`` or ``img`` is missing.
        ValueError: There is not exactly one box, or it has no area inside
            the image.
    """
    image = _image_name(results)
    for key in ('img', 'gt_bboxes'):
        if key not in results:
            raise ConfigKeyError(
                f'{transform} needs results[{key!r}] (load the image and '
                f'its annotations first), missing for image {image}')
    boxes = results['gt_bboxes']
    if isinstance(boxes, BaseBoxes):
        boxes = boxes.tensor
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if boxes.shape[0] != 1:
        raise ConfigError(
            f'{transform} expects exactly one instance per image (build the '
            f'support dataset with instance_wise=True), got {boxes.shape[0]} '
            f'boxes in image {image}')
    height, width = results['img'].shape[:2]
    box = boxes[0].copy()
    box[0::2] = box[0::2].clip(0, width)
    box[1::2] = box[1::2].clip(0, height)
    if box[2] <= box[0] or box[3] <= box[1]:
        raise DataError(
            f'{transform}: the instance box {boxes[0].tolist()} of image '
            f'{image} has zero area inside the {width}x{height} image')
    return box


def _store_box(results: Dict[str, Any], box: np.ndarray) -> None:
    """Write ``box`` back as the single box, keeping the box type."""
    boxes = results['gt_bboxes']
    values = box.reshape(1, 4).astype(np.float32)
    if isinstance(boxes, BaseBoxes):
        results['gt_bboxes'] = type(boxes)(boxes.tensor.new_tensor(values))
    else:
        results['gt_bboxes'] = values


def _record_homography(results: Dict[str, Any], matrix: np.ndarray) -> None:
    """Chain ``matrix`` onto the image-to-input mapping, as mmdet does."""
    previous = results.get('homography_matrix')
    results['homography_matrix'] = (
        matrix if previous is None else matrix @ previous)


def _crop(results: Dict[str, Any], box: np.ndarray,
          region: Tuple[int, int, int, int]) -> np.ndarray:
    """Crop ``results['img']`` to ``region`` and return the shifted box."""
    left, top, right, bottom = region
    results['img'] = results['img'][top:bottom, left:right]
    results['img_shape'] = results['img'].shape[:2]
    _record_homography(
        results,
        np.array([[1, 0, -left], [0, 1, -top], [0, 0, 1]], dtype=np.float32))
    return box - np.array([left, top, left, top], dtype=np.float32)


def _resize(results: Dict[str, Any], box: np.ndarray, size: Tuple[int, int],
            interpolation: str) -> np.ndarray:
    """Resize ``results['img']`` to ``size`` (w, h); return the scaled box."""
    height, width = results['img'].shape[:2]
    img = mmcv.imresize(results['img'], size, interpolation=interpolation)
    if img.ndim == 2:
        img = img[..., None]
    w_scale, h_scale = size[0] / width, size[1] / height
    results['img'] = img
    results['img_shape'] = img.shape[:2]
    previous = results.get('scale_factor', (1.0, 1.0))
    results['scale_factor'] = (previous[0] * w_scale, previous[1] * h_scale)
    _record_homography(
        results,
        np.array([[w_scale, 0, 0], [0, h_scale, 0], [0, 0, 1]],
                 dtype=np.float32))
    return box * np.array([w_scale, h_scale, w_scale, h_scale],
                          dtype=np.float32)


def _context_region(box: np.ndarray, margin_x: float, margin_y: float,
                    img_shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """Whole-pixel region around ``box`` grown by the margins, in the image.
    """
    height, width = img_shape
    left = max(0, math.floor(box[0] - margin_x))
    top = max(0, math.floor(box[1] - margin_y))
    right = min(width, math.ceil(box[2] + margin_x))
    bottom = min(height, math.ceil(box[3] + margin_y))
    return left, top, right, bottom


def _check_size(name: str, size: Tuple[int, int]) -> Tuple[int, int]:
    if len(size) != 2 or min(size) <= 0:
        raise ConfigError(
            f'{name} must be two positive integers (width, height), '
            f'got {size}')
    return int(size[0]), int(size[1])


@TRANSFORMS.register_module()
class CropInstance(BaseTransform):
    """Crop the image to its single instance box, optionally with context.

    The crop covers the box grown by ``context_ratio`` times its width on
    the left and on the right and ``context_ratio`` times its height at the
    top and at the bottom, rounded outwards to whole pixels and clipped to
    the image. The box is moved into the crop's coordinates.

    Required keys: ``img``, ``gt_bboxes`` (one box). Modified keys: ``img``,
    ``img_shape``, ``gt_bboxes``. Added keys: ``homography_matrix``.

    Args:
        context_ratio: Context kept around the box, relative to its size;
            ``0`` crops the box exactly.
    """

    def __init__(self, context_ratio: float = 0.0) -> None:
        if context_ratio < 0:
            raise ConfigError(
                f'context_ratio must be >= 0, got {context_ratio}')
        self.context_ratio = context_ratio

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        """Crop ``results`` in place.

        Args:
            results: The result dict of the pipeline.

        Returns:
            The same dict with the cropped image and shifted box.
        """
        box = _instance_box(results, type(self).__name__)
        region = _context_region(box, self.context_ratio * (box[2] - box[0]),
                                 self.context_ratio * (box[3] - box[1]),
                                 results['img'].shape[:2])
        _store_box(results, _crop(results, box, region))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(context_ratio={self.context_ratio})'


@TRANSFORMS.register_module()
class CropResizeInstance(BaseTransform):
    """Crop the instance with context, resize it to fit, pad to a fixed size.

    Attention-RPN style support input: the box grown by
    ``num_context_pixels`` on every side (clipped to the image) is cropped,
    resized with its aspect ratio kept so that it fits ``target_size`` (its
    longer side relative to the target touches the border; small crops are
    enlarged) and padded with ``pad_val`` at the bottom and right to exactly
    ``target_size``. The box follows the crop and the resize.

    Required keys: ``img``, ``gt_bboxes`` (one box). Modified keys: ``img``,
    ``img_shape``, ``gt_bboxes``. Added keys: ``scale_factor``,
    ``pad_shape``, ``homography_matrix``.

    Args:
        num_context_pixels: Pixels of context kept on each side of the box.
        target_size: Output size as (width, height), the mmcv convention.
        pad_val: Value of the padded pixels.
        interpolation: Interpolation of ``mmcv.imresize``.
    """

    def __init__(self,
                 num_context_pixels: int = 16,
                 target_size: Tuple[int, int] = (320, 320),
                 pad_val: float = 0,
                 interpolation: str = 'bilinear') -> None:
        if num_context_pixels < 0:
            raise ConfigError(f'num_context_pixels must be >= 0, got '
                              f'{num_context_pixels}')
        self.num_context_pixels = num_context_pixels
        self.target_size = _check_size('target_size', target_size)
        self.pad_val = pad_val
        self.interpolation = interpolation

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        """Crop, resize and pad ``results`` in place.

        Args:
            results: The result dict of the pipeline.

        Returns:
            The same dict with a ``target_size`` image and the moved box.
        """
        box = _instance_box(results, type(self).__name__)
        region = _context_region(box, self.num_context_pixels,
                                 self.num_context_pixels,
                                 results['img'].shape[:2])
        box = _crop(results, box, region)
        crop_height, crop_width = results['img'].shape[:2]
        target_width, target_height = self.target_size
        scale = min(target_width / crop_width, target_height / crop_height)
        size = (min(target_width, max(1, round(crop_width * scale))),
                min(target_height, max(1, round(crop_height * scale))))
        box = _resize(results, box, size, self.interpolation)
        results['img'] = mmcv.impad(
            results['img'],
            shape=(target_height, target_width),
            pad_val=self.pad_val)
        results['img_shape'] = results['pad_shape'] = \
            results['img'].shape[:2]
        _store_box(results, box)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_context_pixels='
                f'{self.num_context_pixels}, target_size={self.target_size}, '
                f'pad_val={self.pad_val}, '
                f'interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class GenerateMask(BaseTransform):
    """Resize the image to a fixed size and append a binary instance mask.

    Meta R-CNN / FSDetView support input: the whole image is resized to
    ``target_size`` (aspect ratio not kept) and a fourth channel is appended
    to ``results['img']`` that is ``255`` on every pixel the (resized) box
    touches and ``0`` elsewhere, so ``img`` becomes ``(height, width, 4)``:
    the three colour channels in their loaded order, then the mask. Pixel
    ``(row, col)`` is inside when its unit square overlaps the box, i.e.
    ``floor(x1) <= col < ceil(x2)`` and ``floor(y1) <= row < ceil(y2)``.

    A detector normalises this input with a 4-value mean and std, e.g.
    ``mean=[103.53, 116.28, 123.675, 0], std=[1, 1, 1, 255]``, which turns
    the mask channel into exactly 0/1. ``PackDetInputs`` packs the four
    channels into ``inputs`` unchanged.

    Required keys: ``img`` (un-normalised, 0-255), ``gt_bboxes`` (one box).
    Modified keys: ``img``, ``img_shape``, ``gt_bboxes``. Added keys:
    ``scale_factor``, ``homography_matrix``.

    Args:
        target_size: Output size as (width, height), the mmcv convention.
        interpolation: Interpolation of ``mmcv.imresize``.
    """

    def __init__(self,
                 target_size: Tuple[int, int] = (224, 224),
                 interpolation: str = 'bilinear') -> None:
        self.target_size = _check_size('target_size', target_size)
        self.interpolation = interpolation

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        """Resize ``results['img']`` and append the mask channel in place.

        Args:
            results: The result dict of the pipeline.

        Returns:
            The same dict with a 4-channel ``target_size`` image.
        """
        box = _instance_box(results, type(self).__name__)
        box = _resize(results, box, self.target_size, self.interpolation)
        img = results['img']
        target_width, target_height = self.target_size
        mask = np.zeros((target_height, target_width, 1), dtype=img.dtype)
        left, top, right, bottom = _context_region(box, 0, 0, img.shape[:2])
        mask[top:bottom, left:right] = 255
        results['img'] = np.concatenate([img, mask], axis=2)
        _store_box(results, box)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(target_size={self.target_size}, '
                f'interpolation={self.interpolation!r})')
