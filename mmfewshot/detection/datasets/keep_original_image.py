"""A transform that keeps the image as loaded for test-time use by the
model (DeFRCN's calibration block works on the original resolution)."""
from typing import Any, Dict

from mmcv.transforms import BaseTransform

from mmfewshot.detection.registry import TRANSFORMS
from mmfewshot.utils.errors import ConfigKeyError


@TRANSFORMS.register_module()
class KeepOriginalImage(BaseTransform):
    """Store the loaded image under another key before it is resized.

    Put it right after the image loading; list ``key`` in the
    ``meta_keys`` of ``PackDetInputs`` so that the model finds the image in
    ``data_sample.metainfo[key]`` (an H x W x C array, as loaded).

    Args:
        key: Where the image is kept.
    """

    def __init__(self, key: str = 'ori_img') -> None:
        self.key = key

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        """Copy ``results['img']`` to ``results[key]``.

        Raises:
            ConfigKeyError: when no image has been loaded.
        """
        if 'img' not in results:
            raise ConfigKeyError(
                'KeepOriginalImage needs results["img"]: put it after '
                'LoadImageFromFile in the pipeline')
        results[self.key] = results['img'].copy()
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(key={self.key!r})'
