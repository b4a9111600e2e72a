"""Support-side transforms: turn one annotated instance into a support input.

Query-support detectors (Attention-RPN, Meta R-CNN, FSDetView) feed the
support branch with one object per image, and MPSR feeds its auxiliary
branch with square crops of single objects. The transforms here run after
``LoadImageFromFile`` and ``LoadAnnotations`` on a result dict that holds
exactly one box in ``results['gt_bboxes']`` (what an ``instance_wise``
dataset produces) and before ``PackDetInputs``.

Each computes what the transform of the same name in the original toolbox
(MMFewShot 0.1.0) computes, integer truncations included, so that its
outputs equal the original's pixel for pixel (``tests/test_detection/
test_det_reference_data.py`` compares them with the original's outputs).
Normalisation, which the original's support pipelines do with a
``Normalize`` step, is the data preprocessor's in mmdet 3.
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
    """Return the single box of ``results`` as loaded, float64 (4,).

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
        boxes = boxes.tensor.cpu().numpy()
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if boxes.shape[0] != 1:
        raise ConfigError(
            f'{transform} expects exactly one instance per image (build the '
            f'support dataset with instance_wise=True), got {boxes.shape[0]} '
            f'boxes in image {image}')
    height, width = results['img'].shape[:2]
    box = boxes[0].astype(np.float64)
    inside = box.copy()
    inside[0::2] = inside[0::2].clip(0, width)
    inside[1::2] = inside[1::2].clip(0, height)
    if inside[2] <= inside[0] or inside[3] <= inside[1]:
        raise DataError(
            f'{transform}: the instance box {box.tolist()} of image '
            f'{image} has zero area inside the {width}x{height} image')
    return box


def _store_box(results: Dict[str, Any], box: np.ndarray) -> None:
    """Write ``box`` back as the single box, keeping the box type."""
    boxes = results['gt_bboxes']
    values = np.asarray(box, dtype=np.float32).reshape(1, 4)
    if isinstance(boxes, BaseBoxes):
        results['gt_bboxes'] = type(boxes)(boxes.tensor.new_tensor(values))
    else:
        results['gt_bboxes'] = values


def _record_homography(results: Dict[str, Any], matrix: np.ndarray) -> None:
    """Chain ``matrix`` onto the image-to-input mapping, as mmdet does."""
    previous = results.get('homography_matrix')
    results['homography_matrix'] = (
        matrix if previous is None else matrix @ previous)


def _translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], dtype=np.float32)


def _scaling(sx: float, sy: float) -> np.ndarray:
    return np.array([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], dtype=np.float32)


def _set_image(results: Dict[str, Any], img: np.ndarray) -> None:
    results['img'] = img
    results['img_shape'] = img.shape[:2]


def _check_size(name: str, size: Tuple[int, int]) -> Tuple[int, int]:
    if len(size) != 2 or min(size) <= 0:
        raise ConfigError(
            f'{name} must be two positive integers (width, height), '
            f'got {size}')
    return int(size[0]), int(size[1])


@TRANSFORMS.register_module()
class CropInstance(BaseTransform):
    """Cut a square centred on the single instance box (MPSR).

    For the box ``(x1, y1, x2, y2)`` the square has the side
    ``side = int(max(x2 - x1, y2 - y1) * (1 + context_ratio))`` and its
    top-left corner at ``(int((x1 + x2 - side) / 2), int((y1 + y2 - side) /
    2))``, Python's ``int`` (truncation towards zero) as in the original;
    the parts of the square outside the image are zeros. The box keeps its
    size and moves into the square's coordinates. With
    ``context_ratio=1/7`` (MPSR) the box's longer side covers 7/8 of the
    square.

    Required keys: ``img``, ``gt_bboxes`` (one box). Modified keys: ``img``,
    ``img_shape``, ``gt_bboxes``. Added keys: ``homography_matrix``.

    Args:
        context_ratio: Context around the box, relative to its longer side.

    Raises:
        DataError: The box is too small to give a square of one pixel.
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
            The same dict with the square image and the moved box.
        """
        x1, y1, x2, y2 = _instance_box(results, type(self).__name__)
        side = int(max(x2 - x1, y2 - y1) * (1 + self.context_ratio))
        if side < 1:
            raise DataError(
                f'{type(self).__name__}: the box {[x1, y1, x2, y2]} of image '
                f'{_image_name(results)} is too small to crop')
        img = results['img']
        height, width = img.shape[:2]
        # top-left corner of the square in the image (may be negative)
        left = int((x1 + x2 - side) / 2)
        top = int((y1 + y2 - side) / 2)
        right = min(width, int((x1 + x2 + side) / 2))
        bottom = min(height, int((y1 + y2 + side) / 2))
        square = np.zeros((side, side) + img.shape[2:], dtype=img.dtype)
        src_left, src_top = max(0, left), max(0, top)
        dst_left, dst_top = src_left - left, src_top - top
        copy_width = min(right - src_left, side - dst_left)
        copy_height = min(bottom - src_top, side - dst_top)
        if copy_width > 0 and copy_height > 0:
            square[dst_top:dst_top + copy_height,
                   dst_left:dst_left + copy_width] = \
                img[src_top:src_top + copy_height,
                    src_left:src_left + copy_width]
        _set_image(results, square)
        _record_homography(results, _translation(-left, -top))
        _store_box(results, [x1 - left, y1 - top, x2 - left, y2 - top])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(context_ratio={self.context_ratio})'


def _square_window(lo: int, hi: int, context: int,
                   img_size: int) -> Tuple[int, int, int]:
    """The crop of CropResizeInstance along the box's longer axis.

    Returns:
        ``(start, end, box_start)``: the crop ``[start, end)`` (the box grown
        by ``context`` on both sides, clipped to the image) and where the box
        starts in it.
    """
    start = lo - context
    box_start = context
    if start < 0:
        box_start += start
        start = 0
    return start, min(hi + context, img_size), box_start


def _centred_window(lo: int, hi: int, length: int, side: int,
                    img_size: int) -> Tuple[int, int, int]:
    """The crop of CropResizeInstance along the box's shorter axis.

    A window of ``side`` pixels around the box's centre, clipped to the
    image; ``box_start`` is where the original puts the box in it (its
    formula, which can be one pixel off the box's exact position: the
    crop start and the centre are truncated, the box offset rounded up).
    """
    centre = int((lo + hi) / 2)
    start = int(centre - side / 2)
    end = int(centre + side / 2)
    box_start = math.ceil((side - length) / 2)
    if start < 0:
        box_start += start
        start = 0
    return start, min(end, img_size), box_start


@TRANSFORMS.register_module()
class CropResizeInstance(BaseTransform):
    """Cut a square around the instance, filled with image context, and
    resize it to ``target_size`` (Attention-RPN support input).

    As the original: with the box's coordinates truncated to integers, the
    crop along the box's longer side is the box grown by
    ``num_context_pixels`` on both ends and clipped to the image; its
    length ``L`` is the side of a square. Along the shorter side the crop
    is ``L`` pixels centred on the box, clipped to the image, and pasted in
    the middle of the square; the rest of the square (where the window left
    the image) is zeros. The square, as float, is resized with its ratio
    kept to fit ``target_size`` (``mmcv.imrescale``, bilinear) and truncated
    back to ``uint8``; the box corners are scaled and truncated to
    integers.

    Required keys: ``img``, ``gt_bboxes`` (one box). Modified keys: ``img``,
    ``img_shape``, ``gt_bboxes``. Added keys: ``scale_factor``,
    ``homography_matrix``.

    Args:
        num_context_pixels: Pixels of context kept on each end of the box's
            longer side.
        target_size: The square is resized to fit (width, height); a square
            ``target_size`` gives exactly that size.
    """

    def __init__(
        self,
        num_context_pixels: int = 16,
        target_size: Tuple[int, int] = (320, 320)
    ) -> None:
        if not isinstance(num_context_pixels, int) or num_context_pixels < 0:
            raise ConfigError(f'num_context_pixels must be an int >= 0, got '
                              f'{num_context_pixels!r}')
        self.num_context_pixels = num_context_pixels
        self.target_size = _check_size('target_size', target_size)

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        """Crop and resize ``results`` in place.

        Args:
            results: The result dict of the pipeline.

        Returns:
            The same dict with the resized square and the moved box.
        """
        box = [int(v) for v in _instance_box(results, type(self).__name__)]
        img = results['img']
        img_size = (img.shape[1], img.shape[0])  # per axis: x, y
        lengths = (box[2] - box[0], box[3] - box[1])
        long_axis = 0 if lengths[0] >= lengths[1] else 1
        short_axis = 1 - long_axis
        long_start, long_end, long_box = _square_window(
            box[long_axis], box[long_axis + 2], self.num_context_pixels,
            img_size[long_axis])
        side = long_end - long_start
        short_start, short_end, short_box = _centred_window(
            box[short_axis], box[short_axis + 2], lengths[short_axis], side,
            img_size[short_axis])
        offset = int((side - (short_end - short_start)) / 2)
        starts, ends, box_start, paste = [0, 0], [0, 0], [0, 0], [0, 0]
        starts[long_axis], ends[long_axis] = long_start, long_end
        starts[short_axis], ends[short_axis] = short_start, short_end
        box_start[long_axis] = long_box
        box_start[short_axis] = short_box + offset
        paste[short_axis] = offset
        square = np.zeros((side, side) + img.shape[2:], dtype=np.float32)
        square[paste[1]:paste[1] + ends[1] - starts[1],
               paste[0]:paste[0] + ends[0] - starts[0]] = \
            img[starts[1]:ends[1], starts[0]:ends[0]]
        square, scale = mmcv.imrescale(
            square,
            self.target_size,
            return_scale=True,
            interpolation='bilinear',
            backend='cv2')
        if square.ndim == 2:
            square = square[..., None]
        _set_image(results, square.astype(np.uint8))
        results['scale_factor'] = (scale, scale)
        _record_homography(
            results,
            _scaling(scale, scale) @ _translation(paste[0] - starts[0],
                                                  paste[1] - starts[1]))
        corners = [
            box_start[0], box_start[1], box_start[0] + lengths[0],
            box_start[1] + lengths[1]
        ]
        _store_box(results, [int(v * scale) for v in corners])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_context_pixels='
                f'{self.num_context_pixels}, target_size={self.target_size})')


@TRANSFORMS.register_module()
class GenerateMask(BaseTransform):
    """Resize the image to a fixed size and append a binary instance mask.

    Meta R-CNN / FSDetView support input: the whole image, as float, is
    resized to ``target_size`` (aspect ratio not kept, bilinear) and a
    fourth channel is appended to ``results['img']`` that is ``255`` inside
    the (resized) box and ``0`` elsewhere, so ``img`` becomes a float32
    ``(height, width, 4)`` array: the three colour channels in their loaded
    order, then the mask. As in the original, the mask covers rows
    ``int(y1):int(y2)`` and columns ``int(x1):int(x2)`` of the resized box
    (a partly covered last row or column is left out).

    The original normalised the image before this step and wrote a 0/1
    mask; here a detector normalises this input with a 4-value mean and
    std, e.g. ``mean=[103.53, 116.28, 123.675, 0], std=[1, 1, 1, 255]``,
    which gives the same values (the resize is linear, and the image is
    resized as float, not rounded to 8 bits).

    Required keys: ``img`` (un-normalised, 0-255), ``gt_bboxes`` (one box).
    Modified keys: ``img``, ``img_shape``, ``gt_bboxes``. Added keys:
    ``scale_factor``, ``homography_matrix``.

    Args:
        target_size: Output size as (width, height), the mmcv convention.
    """

    def __init__(self, target_size: Tuple[int, int] = (224, 224)) -> None:
        self.target_size = _check_size('target_size', target_size)

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        """Resize ``results['img']`` and append the mask channel in place.

        Args:
            results: The result dict of the pipeline.

        Returns:
            The same dict with a 4-channel ``target_size`` image.
        """
        box = _instance_box(results, type(self).__name__)
        img = results['img'].astype(np.float32)
        height, width = img.shape[:2]
        img = mmcv.imresize(
            img, self.target_size, interpolation='bilinear', backend='cv2')
        if img.ndim == 2:
            img = img[..., None]
        target_width, target_height = self.target_size
        scales = np.array(
            [target_width / width, target_height / height] * 2,
            dtype=np.float32)
        box = box.astype(np.float32) * scales
        mask = np.zeros((target_height, target_width, 1), dtype=np.float32)
        left, top, right, bottom = (max(0, int(v)) for v in box)
        mask[top:bottom, left:right] = 255
        _set_image(results, np.concatenate([img, mask], axis=2))
        results['scale_factor'] = (float(scales[0]), float(scales[1]))
        _record_homography(results, _scaling(scales[0], scales[1]))
        _store_box(results, box)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(target_size={self.target_size})'
