from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from mmfewshot.classification.registry import MODELS
from ..heads import BaseFewShotHead

MODES = ('loss', 'train', 'support', 'query', 'predict', 'extract_feat',
         'tensor')


def build_data_preprocessor(
        cfg: Optional[Union[dict, torch.nn.Module]]) -> torch.nn.Module:
    """Build the preprocessor in our scope (default:
    FewShotClsDataPreprocessor)."""
    if isinstance(cfg, torch.nn.Module):
        return cfg
    cfg = dict(cfg or {})
    cfg.setdefault('type', 'FewShotClsDataPreprocessor')
    return MODELS.build(cfg)


def gt_labels(data_samples: Sequence[DataSample],
              device: torch.device) -> torch.Tensor:
    """The ``gt_label`` of every sample as one flat tensor."""
    if not data_samples or 'gt_label' not in data_samples[0]:
        raise ValueError('the batch has no gt_label in its data_samples')
    return torch.cat([sample.gt_label for sample in data_samples]).to(device)


class BaseFewShotClassifier(BaseModel, metaclass=ABCMeta):
    """The API every few-shot classifier shares.

    ``forward(mode=...)`` answers:

    - ``'loss'`` (alias ``'train'``): training losses of a batch (plain
      batch or episodes, depending on the method);
    - ``'support'``: takes in a batch of the current task's support set;
    - ``'query'`` (alias ``'predict'``): class scores of query samples, as
      ``DataSample`` objects with ``pred_score`` / ``pred_label``;
    - ``'extract_feat'`` (alias ``'tensor'``): backbone(+neck) features.

    Meta testing calls ``before_meta_test(meta_test_cfg)`` once, then per
    task ``before_forward_support(task_seed)``, the support batches,
    ``before_forward_query()`` (which adapts to the support set) and the
    query batches. With features cached, :meth:`meta_test_tasks` answers
    many tasks at once through the same head calls.

    Inputs may be images (``inputs``) or, in the support and query modes,
    precomputed features (``feats``).

    Args:
        backbone: Backbone config.
        head: Head config.
        neck: Optional neck config (e.g. ``GlobalAveragePooling`` after an
            mmpretrain backbone).
        data_preprocessor: Preprocessor config; defaults to
            ``FewShotClsDataPreprocessor``.
        init_cfg: Initialisation config.
    """

    #: whether tasks can be answered from features cached once per test set
    supports_fast_test = True

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=build_data_preprocessor(data_preprocessor),
            init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self.meta_test_cfg: dict = {}
        self._support_feats: List[torch.Tensor] = []
        self._support_labels: List[torch.Tensor] = []
        self._task_seed: Optional[int] = None
        self._task_state: Optional[Dict[str, torch.Tensor]] = None

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Features of a batch of images: backbone, then the neck if any.

        Backbones that return several stages (mmpretrain's) contribute
        their last stage.
        """
        feats = self.backbone(inputs)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        if self.neck is not None:
            feats = self.neck(feats)
            if isinstance(feats, (tuple, list)):
                feats = feats[-1]
        return feats

    def forward(self,
                inputs: Optional[torch.Tensor] = None,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'loss',
                feats: Optional[torch.Tensor] = None,
                **kwargs):
        if mode in ('loss', 'train'):
            return self.loss(
                inputs=inputs, data_samples=data_samples, **kwargs)
        if mode in ('extract_feat', 'tensor'):
            return self.extract_feat(inputs)
        if mode not in MODES:
            raise ValueError(f'unknown forward mode {mode!r}; valid modes: '
                             f'{", ".join(MODES)}')
        if feats is None:
            feats = self.extract_feat(inputs)
        if mode == 'support':
            self.forward_support(feats, data_samples)
            return []
        return self.forward_query(feats, data_samples)

    @abstractmethod
    def loss(self, **data) -> Dict[str, torch.Tensor]:
        """Training losses of one batch."""

    # -- meta test --------------------------------------------------------
    @property
    def task_head(self) -> BaseFewShotHead:
        """The head that answers meta-test tasks."""
        return self.head

    def before_meta_test(self, meta_test_cfg: dict) -> None:
        """Prepare for meta testing (called once, on a copy of the model)."""
        self.meta_test_cfg = dict(meta_test_cfg or {})
        self.eval()

    def before_forward_support(self, task_seed: Optional[int] = None) -> None:
        """Start a new task; ``task_seed`` seeds its randomness."""
        self._support_feats = []
        self._support_labels = []
        self._task_seed = task_seed
        self._task_state = None

    def forward_support(self, feats: torch.Tensor,
                        data_samples: Sequence[DataSample]) -> None:
        """Collect a batch of the current task's support set."""
        self._support_feats.append(feats.detach())
        self._support_labels.append(gt_labels(data_samples, feats.device))

    def before_forward_query(self) -> None:
        """Adapt the task head to the collected support set."""
        if not self._support_feats:
            raise RuntimeError('before_forward_query() without a support '
                               "set: run forward(mode='support') first")
        feats = torch.cat(self._support_feats)
        labels = torch.cat(self._support_labels)
        seeds = None if self._task_seed is None else [self._task_seed]
        self._task_state = self.task_head.adapt(
            feats.unsqueeze(0), labels.unsqueeze(0),
            int(labels.max()) + 1, seeds)

    def forward_query(
        self,
        feats: torch.Tensor,
        data_samples: Optional[Sequence[DataSample]] = None
    ) -> List[DataSample]:
        """Class scores of query samples for the current task."""
        if self._task_state is None:
            raise RuntimeError('forward_query() before before_forward_query()'
                               ': the task head is not adapted')
        scores = self.task_head.predict(self._task_state,
                                        feats.unsqueeze(0))[0]
        return self._to_data_samples(
            self.task_head.scores_to_probs(scores), data_samples)

    @torch.no_grad()
    def meta_test_tasks(
            self,
            support_feats: torch.Tensor,
            support_labels: torch.Tensor,
            query_feats: torch.Tensor,
            task_seeds: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Answer ``T`` tasks at once from their features.

        Args:
            support_feats: [T, S, ...] support features.
            support_labels: [T, S] episode labels.
            query_feats: [T, Q, ...] query features.
            task_seeds: One seed per task (fine-tuning heads).

        Returns:
            [T, Q, num_ways] class probabilities.
        """
        num_ways = int(support_labels.max()) + 1
        state = self.task_head.adapt(support_feats, support_labels, num_ways,
                                     task_seeds)
        return self.task_head.scores_to_probs(
            self.task_head.predict(state, query_feats))

    @staticmethod
    def _to_data_samples(
            probs: torch.Tensor,
            data_samples: Optional[Sequence[DataSample]]) -> List[DataSample]:
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(probs))]
        for sample, prob in zip(data_samples, probs):
            sample.set_pred_score(prob).set_pred_label(prob.argmax())
        return list(data_samples)
