"""The two head families and the task-batched interface they share.

Every head answers a few-shot task through two calls that work on many
tasks at once (a leading task dimension ``T``):

- ``adapt(support_feats [T, S, ...], support_labels [T, S], num_ways,
  task_seeds)`` returns a task state: class prototypes for metric heads,
  fine-tuned weights for fine-tune heads;
- ``predict(state, query_feats [T, Q, ...])`` returns scores [T, Q, ways].

Meta testing one task at a time is the case ``T = 1``; the batched meta
test and episodic training use the same two calls, so all paths share one
implementation.
"""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmfewshot.classification.registry import MODELS, OPTIMIZERS

TaskState = Dict[str, torch.Tensor]


def _build_loss(loss: dict) -> torch.nn.Module:
    return MODELS.build(loss)


class BaseFewShotHead(BaseModule, metaclass=ABCMeta):
    """Base of all few-shot heads.

    Args:
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 loss: dict = dict(type='CrossEntropyLoss'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = _build_loss(loss)

    @abstractmethod
    def adapt(self,
              support_feats: torch.Tensor,
              support_labels: torch.Tensor,
              num_ways: int,
              task_seeds: Optional[Sequence[int]] = None) -> TaskState:
        """Turn the support sets of ``T`` tasks into task states."""

    @abstractmethod
    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        """Scores [T, Q, num_ways] of the query sets of ``T`` tasks."""

    def scores_to_probs(self, scores: torch.Tensor) -> torch.Tensor:
        """Map the output of :meth:`predict` to class probabilities."""
        return scores.softmax(dim=-1)


class BaseMetricHead(BaseFewShotHead):
    """A head that classifies queries by comparing them with the support.

    Trained episodically: the loss of an episode is the loss of the query
    predictions made from that episode's support set.
    """

    def loss(self, support_feats: torch.Tensor, support_labels: torch.Tensor,
             query_feats: torch.Tensor,
             query_labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Loss of ``E`` training episodes at once.

        Args:
            support_feats: [E, S, ...] support features.
            support_labels: [E, S] episode labels in ``0..num_ways-1``.
            query_feats: [E, Q, ...] query features.
            query_labels: [E, Q] episode labels.

        Returns:
            ``dict(loss=..., accuracy=...)``; the accuracy of the query
            predictions is logged, not optimised.
        """
        num_ways = int(support_labels.max()) + 1
        scores = self.predict(
            self.adapt(support_feats, support_labels, num_ways), query_feats)
        flat_scores = scores.flatten(0, 1)
        flat_labels = query_labels.flatten()
        accuracy = (flat_scores.argmax(-1) == flat_labels).float().mean()
        return dict(
            loss=self.loss_module(flat_scores, flat_labels),
            accuracy=accuracy.detach())


def class_means(feats: torch.Tensor, labels: torch.Tensor,
                num_ways: int) -> torch.Tensor:
    """Mean feature of every class of every task.

    Args:
        feats: [T, S, ...] features.
        labels: [T, S] labels in ``0..num_ways-1``.
        num_ways: Number of classes per task.

    Returns:
        [T, num_ways, ...] class means.
    """
    one_hot = F.one_hot(labels, num_ways).to(feats.dtype)  # [T, S, W]
    counts = one_hot.sum(dim=1).clamp(min=1)  # [T, W]
    flat = feats.flatten(2)  # [T, S, D]
    means = one_hot.transpose(1, 2).bmm(flat) / counts.unsqueeze(-1)
    return means.view(feats.size(0), num_ways, *feats.shape[2:])


def task_generators(task_seeds: Optional[Sequence[int]],
                    num_tasks: int) -> List[torch.Generator]:
    """One CPU generator per task, so each task's randomness is its own.

    Without seeds the generators are seeded from torch's global stream.
    """
    if task_seeds is None:
        task_seeds = torch.randint(
            0, 2**31 - 1, (num_tasks, ), dtype=torch.int64).tolist()
    if len(task_seeds) != num_tasks:
        raise ValueError(f'got {len(task_seeds)} task seeds for '
                         f'{num_tasks} tasks')
    return [torch.Generator().manual_seed(int(seed)) for seed in task_seeds]


class BaseFinetuneHead(BaseFewShotHead):
    """A classifier layer trained on base classes and fine-tuned per task.

    During base training the head's own weights classify ``num_classes``
    base classes. At meta test a fresh weight per task is initialised from
    the task's seed and fine-tuned on the task's support features with the
    optimizer of ``finetune_cfg``; all tasks of a batch are fine-tuned
    together as one set of batched tensors. Since the loss of a batch is
    the sum of the tasks' losses and the optimizers act element-wise, each
    task follows exactly the trajectory it would follow alone.

    Args:
        num_classes: Number of base classes.
        in_channels: Feature dimension.
        finetune_cfg: Fine-tuning at meta test: ``num_steps``,
            ``batch_size`` (support samples per step), ``drop_last``
            (whether the last, smaller batch of every pass over the
            support set is skipped) and ``optimizer`` (an element-wise
            torch optimizer config such as SGD or Adam).
        loss: Config of the loss module.
        init_cfg: Initialisation config.
    """

    default_finetune_cfg = dict(
        num_steps=100,
        batch_size=4,
        drop_last=False,
        optimizer=dict(
            type='SGD',
            lr=0.01,
            momentum=0.9,
            dampening=0.9,
            weight_decay=0.001))

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 finetune_cfg: Optional[dict] = None,
                 loss: dict = dict(type='CrossEntropyLoss'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(loss=loss, init_cfg=init_cfg)
        if num_classes <= 0:
            raise ValueError(f'num_classes must be positive, got '
                             f'{num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.finetune_cfg = dict(self.default_finetune_cfg)
        self.update_finetune_cfg(finetune_cfg or {})

    def update_finetune_cfg(self, cfg: dict) -> None:
        """Override fine-tuning settings (e.g. from ``meta_test_cfg``)."""
        unknown = set(cfg) - set(self.default_finetune_cfg)
        if unknown:
            raise KeyError(f'unknown fine-tuning keys {sorted(unknown)}; '
                           f'valid: {sorted(self.default_finetune_cfg)}')
        self.finetune_cfg.update(cfg)

    # -- the head's parameters as a task state ---------------------------
    @abstractmethod
    def own_state(self) -> TaskState:
        """The head's own parameters as a state of one task."""

    @abstractmethod
    def init_task_state(self, num_ways: int, generators: List[torch.Generator],
                        device: torch.device) -> TaskState:
        """Fresh per-task parameters ([T, ...] leaves) from the generators."""

    @abstractmethod
    def task_logits(self,
                    state: TaskState,
                    feats: torch.Tensor,
                    labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits [T, N, C] of features [T, N, D] under a task state.

        ``labels`` [T, N] are given when the logits feed a training loss,
        for heads whose training logits differ (e.g. margins).
        """

    # -- base training ----------------------------------------------------
    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Logits [N, num_classes] of features [N, D] for the base classes."""
        return self.task_logits(self.own_state(), feats.unsqueeze(0))[0]

    def loss(self, feats: torch.Tensor,
             labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Classification loss of a plain batch over the base classes."""
        logits = self.task_logits(self.own_state(), feats.unsqueeze(0),
                                  labels.unsqueeze(0))[0]
        accuracy = (logits.argmax(-1) == labels).float().mean()
        return dict(
            loss=self.loss_module(logits, labels), accuracy=accuracy.detach())

    # -- meta test ------------------------------------------------------------
    #: state entries that are vectors of the feature space ([T, C, D])
    feature_space_keys = ('weight', )
    #: optimizers whose updates are linear combinations of the parameters
    #: and their gradients, so they commute with a change of orthonormal
    #: basis (see :meth:`adapt`)
    rotation_equivariant_optimizers = ('SGD', )

    def adapt(self,
              support_feats: torch.Tensor,
              support_labels: torch.Tensor,
              num_ways: int,
              task_seeds: Optional[Sequence[int]] = None) -> TaskState:
        """Fine-tune a fresh head per task on its support features.

        With an SGD-family optimizer the fine-tuning runs in the subspace
        spanned by the task's support features and initial weights, which
        gives the same weights as fine-tuning in the full feature space
        (up to float rounding) at a fraction of the cost: the gradients of
        linear and cosine classifiers are combinations of the features and
        the weights, so the weights never leave that subspace, and SGD's
        updates (momentum, dampening, weight decay, Nesterov) are linear,
        so they are the same in any orthonormal basis of it. Other
        optimizers fine-tune in the full space.
        """
        num_tasks = support_labels.size(0)
        feats = support_feats.detach().flatten(2)
        generators = task_generators(task_seeds, num_tasks)
        state = self.init_task_state(num_ways, generators, feats.device)
        optimizer_type = self.finetune_cfg['optimizer'].get('type')
        if optimizer_type not in self.rotation_equivariant_optimizers:
            return self._finetune(state, feats, support_labels, generators)
        # orthonormal basis of span(support features, initial weights)
        spanning = torch.cat(
            [feats] + [state[key].detach() for key in self.feature_space_keys],
            dim=1)
        basis, _ = torch.linalg.qr(spanning.transpose(1, 2))  # [T, D, k]
        reduced = {
            key: (value.detach().bmm(basis) if key in self.feature_space_keys
                  else value.detach()).requires_grad_(True)
            for key, value in state.items()
        }
        reduced = self._finetune(reduced, feats.bmm(basis), support_labels,
                                 generators)
        return {
            key:
            value.bmm(basis.transpose(1, 2))
            if key in self.feature_space_keys else value
            for key, value in reduced.items()
        }

    def _finetune(self, state: TaskState, feats: torch.Tensor,
                  labels: torch.Tensor,
                  generators: List[torch.Generator]) -> TaskState:
        """Run ``finetune_cfg`` on trainable [T, ...] leaves ``state``."""
        num_tasks, num_support = labels.shape
        batches = self._batch_indices(
            generators, num_support, int(self.finetune_cfg['num_steps']),
            min(int(self.finetune_cfg['batch_size']), num_support),
            bool(self.finetune_cfg['drop_last']))
        optimizer = OPTIMIZERS.build(
            dict(self.finetune_cfg['optimizer'], params=list(state.values())))
        task_index = torch.arange(num_tasks, device=feats.device)[:, None]
        with torch.enable_grad():
            for indices in batches:
                indices = indices.to(feats.device)  # [T, B]
                batch_labels = labels[task_index, indices]
                logits = self.task_logits(state, feats[task_index, indices],
                                          batch_labels)
                per_sample = F.cross_entropy(
                    logits.flatten(0, 1),
                    batch_labels.flatten(),
                    reduction='none').view(num_tasks, -1)
                optimizer.zero_grad()
                per_sample.mean(dim=1).sum().backward()
                optimizer.step()
        return {name: value.detach() for name, value in state.items()}

    def predict(self, state: TaskState,
                query_feats: torch.Tensor) -> torch.Tensor:
        return self.task_logits(state, query_feats.flatten(2))

    @staticmethod
    def _batch_indices(generators: List[torch.Generator], num_support: int,
                       num_steps: int, batch_size: int,
                       drop_last: bool) -> List[torch.Tensor]:
        """Support indices of every fine-tuning step, a [T, B] tensor each.

        Every task is fed as by a shuffling dataloader over its support
        set: each pass is a new random permutation (from the task's own
        generator) cut into batches of ``batch_size``, whose last, smaller
        batch is skipped with ``drop_last``; passes follow one another
        until ``num_steps`` batches are served.
        """
        bounds = [(start, min(start + batch_size, num_support))
                  for start in range(0, num_support, batch_size)]
        if drop_last and bounds[-1][1] - bounds[-1][0] < batch_size:
            bounds.pop()
        num_passes = -(-num_steps // len(bounds))
        orders = torch.stack([
            torch.stack([
                torch.randperm(num_support, generator=generator)
                for _ in range(num_passes)
            ]) for generator in generators
        ])  # [T, passes, S]
        return [
            orders[:, step // len(bounds),
                   slice(*bounds[step % len(bounds)])]
            for step in range(num_steps)
        ]


def uniform_init(shape: Sequence[int], bound: float,
                 generators: List[torch.Generator],
                 device: torch.device) -> torch.Tensor:
    """Stack of per-task U(-bound, bound) tensors as a trainable leaf."""
    values = torch.stack([
        torch.rand(*shape, generator=generator) * 2 * bound - bound
        for generator in generators
    ])
    return values.to(device).requires_grad_(True)
