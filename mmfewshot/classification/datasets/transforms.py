"""Image loading for records that carry encoded image bytes."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmfewshot.classification.registry import TRANSFORMS
from mmfewshot.utils.errors import DataError


@TRANSFORMS.register_module()
class LoadImageFromBytes(BaseTransform):
    """Decode the encoded image (PNG, JPEG, ...) held in ``img_bytes``.

    The counterpart of mmcv's ``LoadImageFromFile`` for datasets kept in
    memory as encoded bytes (tieredImageNet's pickles): it sets ``img`` (an
    HWC ``uint8`` array, BGR for ``color_type='color'``), ``img_shape`` and
    ``ori_shape``, and drops ``img_bytes``. A record without ``img_bytes``
    but with ``img_path`` is read from that file, so one pipeline serves
    both the pickled and the unpacked form of a dataset.

    Args:
        to_float32: Convert the image to ``float32``.
        color_type: ``'color'``, ``'grayscale'`` or ``'unchanged'``, as in
            ``mmcv.imfrombytes``.
        imdecode_backend: ``'cv2'``, ``'pillow'``, ``'turbojpeg'`` or
            ``'tifffile'``.
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2') -> None:
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend

    def transform(self, results: dict) -> Optional[dict]:
        """Decode ``results['img_bytes']`` into ``results['img']``."""
        if 'img_bytes' in results:
            data = results.pop('img_bytes')
            origin = f'the bytes of sample {results.get("sample_idx", "?")}'
        elif 'img_path' in results:
            data = fileio.get(results['img_path'])
            origin = results['img_path']
        else:
            raise KeyError('LoadImageFromBytes needs `img_bytes` (or '
                           f'`img_path`) in the record; got {sorted(results)}')
        img = mmcv.imfrombytes(
            data, flag=self.color_type, backend=self.imdecode_backend)
        if img is None:
            raise DataError(f'LoadImageFromBytes: cannot decode {origin}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(to_float32={self.to_float32}, '
                f"color_type='{self.color_type}', "
                f"imdecode_backend='{self.imdecode_backend}')")
