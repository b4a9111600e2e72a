"""The fine-tune based methods: base training with plain batches, a new
head fine-tuned on each task's support features at meta test."""
from mmfewshot.classification.registry import MODELS
from .base_finetune import BaseFinetuneClassifier


@MODELS.register_module()
class Baseline(BaseFinetuneClassifier):
    """Baseline (Chen et al., 2019): a linear classifier on the base
    classes; at meta test a new linear layer is fine-tuned per task."""

    def __init__(self,
                 backbone: dict = dict(type='Conv4'),
                 head: dict = dict(
                     type='LinearHead', num_classes=64, in_channels=1600),
                 meta_test_head: dict = dict(
                     type='LinearHead', num_classes=5, in_channels=1600),
                 **kwargs) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            meta_test_head=meta_test_head,
            **kwargs)


@MODELS.register_module()
class BaselinePlus(BaseFinetuneClassifier):
    """Baseline++ (Chen et al., 2019): like Baseline with a cosine-distance
    classifier, which reduces intra-class variation."""

    def __init__(self,
                 backbone: dict = dict(type='Conv4'),
                 head: dict = dict(
                     type='CosineDistanceHead',
                     num_classes=64,
                     in_channels=1600),
                 meta_test_head: dict = dict(
                     type='CosineDistanceHead',
                     num_classes=5,
                     in_channels=1600),
                 **kwargs) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            meta_test_head=meta_test_head,
            **kwargs)


@MODELS.register_module()
class NegMargin(BaseFinetuneClassifier):
    """Negative Margin (Liu et al., 2020): a margin-based softmax with a
    negative margin on the base classes, fine-tuned per task."""

    def __init__(self,
                 backbone: dict = dict(type='Conv4'),
                 head: dict = dict(
                     type='NegMarginHead',
                     num_classes=64,
                     in_channels=1600,
                     margin=-0.02),
                 meta_test_head: dict = dict(
                     type='NegMarginHead',
                     num_classes=5,
                     in_channels=1600,
                     margin=0.0),
                 **kwargs) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            meta_test_head=meta_test_head,
            **kwargs)
