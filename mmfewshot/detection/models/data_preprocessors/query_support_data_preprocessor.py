"""The data preprocessor of query-support detectors."""
from typing import List, Optional, Sequence

import torch
from mmdet.models.utils.misc import samplelist_boxtype2tensor
from mmengine.model import stack_batch

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError
from .few_shot_det_data_preprocessor import FewShotDetDataPreprocessor


@MODELS.register_module()
class QuerySupportDataPreprocessor(FewShotDetDataPreprocessor):
    """Normalises query images as mmdet does and support images on their
    own.

    Three kinds of batches come in:

    - training, ``{'query_data': batch, 'support_data': batch}`` (from
      ``QueryAwareDataset`` or ``NWayKShotDataloader``): returns
      ``inputs`` / ``data_samples`` of the query images and
      ``support_inputs`` / ``support_data_samples`` of the support
      instances, which a query-support detector's ``loss`` takes;
    - validation and test, ``{'inputs': ..., 'data_samples': ...}``: the
      query path only;
    - model initialisation, ``{'support_data': batch}``: the support path,
      returned as ``inputs`` / ``data_samples`` (``mode='model_init'``).

    The query path is mmdet's ``DetDataPreprocessor`` with its own padding
    of test batches (:class:`FewShotDetDataPreprocessor`, this class's
    base), configured by all arguments but ``support``. The support path
    converts every image to float, swaps the first three channels when
    ``bgr_to_rgb`` and normalises each channel with ``mean`` / ``std``; a
    4-channel image + mask of ``GenerateMask`` takes 4 values, e.g.
    ``mean=[103.53, 116.28, 123.675, 0], std=[1, 1, 1, 255]`` turns the 255
    mask into 0/1. Support images of one size (the fixed-size crops of
    ``CropResizeInstance`` / ``GenerateMask``) are stacked as they are;
    images of different sizes are padded at the bottom and right to the
    largest (and to ``pad_size_divisor``) with zeros after normalisation.
    Batch augmentations never touch the support images.

    Args:
        support: Settings of the support path: ``mean``, ``std`` (one value
            per input channel, or one for all), ``bgr_to_rgb`` and
            ``pad_size_divisor`` (default 1); ``mean``, ``std`` and
            ``bgr_to_rgb`` default to those of the query path.
        **kwargs: Arguments of ``FewShotDetDataPreprocessor`` for the
            query path (``mean``, ``std``, ``bgr_to_rgb``,
            ``pad_size_divisor`` and ``test_pad_size_divisor``,
            ``batch_augments``, ``non_blocking`` ...).
    """

    def __init__(self, support: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        support = dict(support or {})
        unknown = set(support) - {
            'mean', 'std', 'bgr_to_rgb', 'pad_size_divisor'
        }
        if unknown:
            raise ConfigError(
                f'data_preprocessor.support: unknown keys {sorted(unknown)}; '
                'it takes mean, std, bgr_to_rgb and pad_size_divisor')
        mean = support.get('mean', kwargs.get('mean'))
        std = support.get('std', kwargs.get('std'))
        if mean is None or std is None:
            raise ConfigError('data_preprocessor.support needs `mean` and '
                              '`std` (or the query path must have them)')
        if len(mean) != len(std):
            raise ConfigError(
                f'data_preprocessor.support: mean {list(mean)} and std '
                f'{list(std)} have different lengths')
        self.register_buffer('support_mean',
                             torch.tensor(mean, dtype=torch.float32), False)
        self.register_buffer('support_std',
                             torch.tensor(std, dtype=torch.float32), False)
        self.support_bgr_to_rgb = bool(
            support.get('bgr_to_rgb', kwargs.get('bgr_to_rgb', False)))
        self.support_pad_size_divisor = int(support.get('pad_size_divisor', 1))

    def forward(self, data: dict, training: bool = False) -> dict:
        """Preprocess one batch of any of the three kinds.

        Args:
            data: The batch from a dataloader.
            training: Whether the batch is for training (batch augments and
                the training padding of the query path).

        Returns:
            The keyword arguments of the detector's ``forward``.
        """
        if 'query_data' in data:
            query = super().forward(data['query_data'], training)
            support = self.preprocess_support(data['support_data'])
            return dict(
                inputs=query['inputs'],
                data_samples=query['data_samples'],
                support_inputs=support['inputs'],
                support_data_samples=support['data_samples'])
        if 'support_data' in data:
            return self.preprocess_support(data['support_data'])
        return super().forward(data, training)

    def preprocess_support(self, data: dict) -> dict:
        """Normalise and stack a batch of support images.

        Args:
            data: ``{'inputs': [C x H x W uint8 tensors], 'data_samples':
                [...]}``.

        Returns:
            ``{'inputs': N x C x H x W float tensor, 'data_samples': [...]}``
            with box types turned into tensors and ``batch_input_shape`` /
            ``pad_shape`` set on every sample.
        """
        data = self.cast_data(data)
        images: Sequence[torch.Tensor] = data['inputs']
        data_samples: Optional[List] = data.get('data_samples')
        normalised = [self._normalise(image) for image in images]
        inputs = stack_batch(normalised, self.support_pad_size_divisor)
        if data_samples is not None:
            batch_input_shape = tuple(inputs.shape[-2:])
            for data_sample in data_samples:
                data_sample.set_metainfo(
                    dict(
                        batch_input_shape=batch_input_shape,
                        pad_shape=batch_input_shape))
            samplelist_boxtype2tensor(data_samples)
        return dict(inputs=inputs, data_samples=data_samples)

    def _normalise(self, image: torch.Tensor) -> torch.Tensor:
        num_channels = image.shape[0]
        if len(self.support_mean) not in (1, num_channels):
            raise ConfigError(
                f'data_preprocessor.support has {len(self.support_mean)} '
                f'mean/std values for {num_channels}-channel support images')
        image = image.float()
        if self.support_bgr_to_rgb:
            image = torch.cat([image[[2, 1, 0]], image[3:]])
        return (image - self.support_mean.view(-1, 1, 1)) / \
            self.support_std.view(-1, 1, 1)
