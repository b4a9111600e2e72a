"""mmdet's data preprocessor with its own padding for test batches."""
from typing import Optional

from mmdet.models.data_preprocessors import DetDataPreprocessor

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError


@MODELS.register_module()
class FewShotDetDataPreprocessor(DetDataPreprocessor):
    """mmdet's ``DetDataPreprocessor`` that pads training and test batches
    to different multiples.

    mmdet 3 pads every batch to ``pad_size_divisor``, where the pipelines
    of mmdet 2 padded per pipeline (a ``Pad`` step, or none: the collate
    function then padded a batch to its largest image only). The original
    toolbox padded the training images of MPSR and the fine-tuning query
    images of Meta R-CNN and FSDetView to multiples of 32 but not their
    test images; features near the bottom and right borders, the FPN map
    sizes and the valid anchors depend on it.

    Args:
        test_pad_size_divisor: The multiple that batches of validation and
            test (``training=False``) are padded to; ``None`` takes
            ``pad_size_divisor``, which pads the training batches.
        **kwargs: Arguments of mmdet's ``DetDataPreprocessor`` (``mean``,
            ``std``, ``bgr_to_rgb``, ``pad_size_divisor``,
            ``batch_augments`` ...).
    """

    def __init__(self,
                 test_pad_size_divisor: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if test_pad_size_divisor is None:
            test_pad_size_divisor = self.pad_size_divisor
        if not isinstance(test_pad_size_divisor,
                          int) or test_pad_size_divisor < 1:
            raise ConfigError('data_preprocessor.test_pad_size_divisor must '
                              'be a positive int, got '
                              f'{test_pad_size_divisor!r}')
        self.train_pad_size_divisor = self.pad_size_divisor
        self.test_pad_size_divisor = test_pad_size_divisor

    def forward(self, data: dict, training: bool = False) -> dict:
        """Preprocess a batch as mmdet does, padded to
        ``pad_size_divisor`` in training and to ``test_pad_size_divisor``
        otherwise."""
        divisor = self.train_pad_size_divisor if training \
            else self.test_pad_size_divisor
        return self.preprocess_padded(data, training, divisor)

    def preprocess_padded(self, data: dict, training: bool,
                          pad_size_divisor: int) -> dict:
        """mmdet's preprocessing of ``data`` with batch augmentations when
        ``training``, padded to ``pad_size_divisor``."""
        # mmdet's stack_batch and pad shapes read the attribute
        self.pad_size_divisor = pad_size_divisor
        try:
            return super().forward(data, training)
        finally:
            self.pad_size_divisor = self.train_pad_size_divisor
