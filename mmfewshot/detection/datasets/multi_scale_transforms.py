"""Auxiliary-branch transforms of MPSR: one object, cropped at many scales.

MPSR (Wu et al., ECCV 2020) feeds its detector, next to the ordinary
images, square crops of single objects resized to a set of scales (an
object pyramid). The auxiliary pipeline of an MPSR config reads::

    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='CropInstance', context_ratio=1 / 7.),
    dict(type='ResizeToMultiScale',
         scales=[(s * 8 / 7., s * 8 / 7.) for s in (32, 64, ..., 800)]),
    dict(type='MultiImageRandomCrop',
         crop_sizes=[(s, s) for s in (32, 64, ..., 800)]),
    dict(type='MultiImageRandomFlip', prob=0.5),
    dict(type='MultiImagePackDetInputs')

``CropInstance`` (:mod:`.transforms`) cuts the square around the object;
``ResizeToMultiScale`` turns the result dict of one instance into a list of
result dicts, one per scale; the ``MultiImage*`` transforms work on such a
list, element by element, and ``MultiImagePackDetInputs`` packs every scale,
so a dataset item is a list ``[{'inputs': ..., 'data_samples': ...}, ...]``
with one entry per scale. mmengine's ``pseudo_collate`` turns a batch of
such items into one ``{'inputs': [...], 'data_samples': [...]}`` batch per
scale, which :class:`~mmfewshot.detection.models.TwoBranchDataPreprocessor`
normalises and stacks. Normalisation and padding are the data
preprocessor's, as everywhere in mmdet 3.
"""
import copy
from typing import Any, Dict, List, Sequence, Tuple

from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import (PackDetInputs, RandomCrop, RandomFlip,
                                       Resize)

from mmfewshot.detection.registry import TRANSFORMS
from mmfewshot.utils.errors import ConfigError, ConfigTypeError

Results = Dict[str, Any]


def _check_sizes(name: str, sizes: Sequence[Sequence[float]]) -> List[tuple]:
    """``sizes`` as a list of positive (width, height) pairs."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) \
            or not sizes:
        raise ConfigError(f'{name} must be a non-empty list of (width, '
                          f'height) pairs, got {sizes!r}')
    checked = []
    for size in sizes:
        if not isinstance(size, Sequence) or len(size) != 2 or \
                min(size) <= 0:
            raise ConfigError(f'{name} must hold (width, height) pairs of '
                              f'positive numbers, got {size!r}')
        checked.append(tuple(size))
    return checked


def _check_results_list(results_list: Any,
                        transform: str,
                        expected: int = 0) -> None:
    """Raise unless ``results_list`` is a list of result dicts (of
    ``expected`` length when it is not 0)."""
    if not isinstance(results_list, list) or not all(
            isinstance(results, dict) for results in results_list):
        raise ConfigTypeError(
            f'{transform} works on the list of result dicts made by '
            'ResizeToMultiScale; put it after ResizeToMultiScale in the '
            f'pipeline (got a {type(results_list).__name__})')
    if expected and len(results_list) != expected:
        raise ConfigError(f'{transform} has {expected} crop sizes for '
                          f'{len(results_list)} scales of ResizeToMultiScale')


@TRANSFORMS.register_module()
class ResizeToMultiScale(BaseTransform):
    """Resize the image to every scale, one result dict per scale.

    Each scale is mmdet's ``Resize(scale=scale, keep_ratio=keep_ratio)``
    applied to a deep copy of ``results``; with ``keep_ratio`` the image
    gets as large as fits in ``scale`` (``mmcv.imrescale``), so a square
    image resized to ``(s, s)`` is ``round(s) x round(s)``.

    Required keys: ``img`` (and whatever mmdet's ``Resize`` resizes:
    ``gt_bboxes`` ...). Returns a list of result dicts.

    Args:
        scales: Target scales, (width, height) each, in order.
        keep_ratio: Keep the aspect ratio of the image.
        interpolation: Interpolation of the resize.
    """

    def __init__(self,
                 scales: Sequence[Tuple[float, float]],
                 keep_ratio: bool = True,
                 interpolation: str = 'bilinear') -> None:
        self.scales = _check_sizes('scales', scales)
        self.keep_ratio = keep_ratio
        self.interpolation = interpolation
        self.resizes = [
            Resize(
                scale=scale,
                keep_ratio=keep_ratio,
                interpolation=interpolation) for scale in self.scales
        ]

    def transform(self, results: Results) -> List[Results]:
        """Resize copies of ``results`` to every scale.

        Args:
            results: The result dict of the pipeline.

        Returns:
            One resized result dict per scale.
        """
        return [
            resize.transform(copy.deepcopy(results)) for resize in self.resizes
        ]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scales={self.scales}, keep_ratio='
                f'{self.keep_ratio}, interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class MultiImageRandomCrop(BaseTransform):
    """Crop every image of a multi-scale list at a random position.

    Image ``i`` is cropped to ``crop_sizes[i]`` (width, height), or to its
    own size where it is smaller, at a random offset (mmdet's
    ``RandomCrop`` with ``crop_type='absolute'``); boxes are moved and
    clipped. A crop always keeps the instance and its label (the crops
    MPSR makes always overlap the object).

    Args:
        crop_sizes: One (width, height) per scale of the list.
    """

    def __init__(self, crop_sizes: Sequence[Tuple[int, int]]) -> None:
        self.crop_sizes = _check_sizes('crop_sizes', crop_sizes)
        self.crops = [
            RandomCrop(
                crop_size=(int(width), int(height)),
                crop_type='absolute',
                allow_negative_crop=True) for width, height in self.crop_sizes
        ]

    def transform(self, results_list: List[Results]) -> List[Results]:
        """Crop every result dict in place.

        Args:
            results_list: One result dict per scale.

        Returns:
            The same list.
        """
        _check_results_list(results_list, type(self).__name__, len(self.crops))
        return [
            crop.transform(results)
            for crop, results in zip(self.crops, results_list)
        ]

    def __repr__(self) -> str:
        return f'{type(self).__name__}(crop_sizes={self.crop_sizes})'


class _EachImage:
    """Mixin that applies the transform of the next base class to every
    result dict of a multi-scale list."""

    def transform(self, results_list: List[Results]) -> List[Any]:
        """Apply the transform to every result dict.

        Args:
            results_list: One result dict per scale.

        Returns:
            The transformed results, in order.
        """
        _check_results_list(results_list, type(self).__name__)
        transform = super().transform
        return [transform(results) for results in results_list]


@TRANSFORMS.register_module()
class MultiImageRandomFlip(_EachImage, RandomFlip):
    """mmdet's ``RandomFlip`` on every image of a multi-scale list, each
    flipped or not on its own draw. Takes ``RandomFlip``'s arguments
    (``prob``, ``direction``)."""


@TRANSFORMS.register_module()
class MultiImagePackDetInputs(_EachImage, PackDetInputs):
    """mmdet's ``PackDetInputs`` on every image of a multi-scale list:
    returns ``[{'inputs': ..., 'data_samples': ...}, ...]``, one per scale.
    Takes ``PackDetInputs``' arguments (``meta_keys``)."""
