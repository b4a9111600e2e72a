"""The data preprocessor of MPSR: main images and auxiliary object crops."""
from typing import Any, List

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import DataError
from .few_shot_det_data_preprocessor import FewShotDetDataPreprocessor


@MODELS.register_module()
class TwoBranchDataPreprocessor(FewShotDetDataPreprocessor):
    """mmdet's ``DetDataPreprocessor`` for the main images, and the same
    normalisation for the auxiliary crops of MPSR, scale by scale.

    Two kinds of batches come in:

    - training, ``{'main_data': batch, 'auxiliary_data': [batch, ...]}``
      (from :class:`~mmfewshot.detection.datasets.TwoBranchDataloader`):
      the main batch goes through ``DetDataPreprocessor`` (batch
      augmentations included, padded to ``pad_size_divisor``); every batch
      of ``auxiliary_data`` holds the crops of one scale (see
      :mod:`~mmfewshot.detection.datasets.multi_scale_transforms`) and is
      normalised, padded to ``pad_size_divisor`` and stacked the same way,
      without batch augmentations. Returns ``inputs`` / ``data_samples``
      and ``auxiliary_inputs`` (one tensor per scale) /
      ``auxiliary_data_samples`` (one list per scale), which
      :class:`~mmfewshot.detection.models.MPSR`'s ``loss`` takes;
    - validation and test, ``{'inputs': ..., 'data_samples': ...}``: the
      main path only, padded to ``test_pad_size_divisor``.

    Args:
        **kwargs: Arguments of :class:`FewShotDetDataPreprocessor`
            (``mean``, ``std``, ``bgr_to_rgb``, ``pad_size_divisor``,
            ``test_pad_size_divisor``, ``batch_augments`` ...), used for
            both branches.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Preprocess a training batch of both branches or a test batch.

        Args:
            data: The batch from a dataloader.
            training: Whether the batch is for training (batch augments of
                the main images).

        Returns:
            The keyword arguments of the detector's ``forward``.

        Raises:
            DataError: A main batch comes without auxiliary batches, or the
                auxiliary data is not a list of per-scale batches.
        """
        if 'main_data' not in data:
            return super().forward(data, training)
        auxiliary_batches = data.get('auxiliary_data')
        if not isinstance(auxiliary_batches, (list, tuple)) or not all(
                isinstance(batch, dict) for batch in auxiliary_batches):
            raise DataError(
                'TwoBranchDataPreprocessor: a main batch needs '
                "'auxiliary_data', a list of per-scale batches (the "
                'auxiliary pipeline must end with MultiImagePackDetInputs), '
                f'got {type(auxiliary_batches).__name__}')
        main = super().forward(data['main_data'], training)
        # training=False: no batch augmentations on the crops, which are
        # padded as training images
        auxiliary: List[Any] = [
            self.preprocess_padded(batch, False, self.train_pad_size_divisor)
            for batch in auxiliary_batches
        ]
        return dict(
            inputs=main['inputs'],
            data_samples=main['data_samples'],
            auxiliary_inputs=[batch['inputs'] for batch in auxiliary],
            auxiliary_data_samples=[
                batch['data_samples'] for batch in auxiliary
            ])
