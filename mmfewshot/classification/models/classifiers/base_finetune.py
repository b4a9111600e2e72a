import copy
from typing import Dict, Optional

import torch

from mmfewshot.classification.registry import MODELS
from ..heads import BaseFinetuneHead
from .base import BaseFewShotClassifier, gt_labels


class BaseFinetuneClassifier(BaseFewShotClassifier):
    """Classifiers pre-trained on the base classes with plain batches and
    evaluated by fine-tuning a new head on each task's support features
    (Baseline, Baseline++, NegMargin).

    Args:
        backbone: Backbone config.
        head: Config of the head trained on the base classes.
        meta_test_head: Config of the head fine-tuned per task; its
            ``num_classes`` is the number of ways. Defaults to ``head``
            with ``num_classes`` set at meta test from the task.
        neck: Optional neck config.
        data_preprocessor: Preprocessor config.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 meta_test_head: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            neck=neck,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.head_cfg = copy.deepcopy(head)
        self.meta_test_head_cfg = copy.deepcopy(meta_test_head)
        self.meta_test_head: Optional[BaseFinetuneHead] = None

    def loss(self, inputs: torch.Tensor, data_samples: list,
             **kwargs) -> Dict[str, torch.Tensor]:
        feats = self.extract_feat(inputs)
        return self.head.loss(feats, gt_labels(data_samples, feats.device))

    @property
    def task_head(self) -> BaseFinetuneHead:
        if self.meta_test_head is None:
            raise RuntimeError(
                f'{type(self).__name__}: call before_meta_test() before '
                'answering tasks; it builds the fine-tuned meta-test head')
        return self.meta_test_head

    def before_meta_test(self, meta_test_cfg: dict) -> None:
        super().before_meta_test(meta_test_cfg)
        head_cfg = copy.deepcopy(self.meta_test_head_cfg)
        if head_cfg is None:
            head_cfg = copy.deepcopy(self.head_cfg)
            head_cfg['num_classes'] = self.meta_test_cfg.get(
                'num_ways', head_cfg['num_classes'])
        self.meta_test_head = MODELS.build(head_cfg).to(self.device)
        finetune = self.meta_test_cfg.get('support', {}).get('train')
        if finetune:
            self.meta_test_head.update_finetune_cfg(finetune)
        self.meta_test_head.eval()
