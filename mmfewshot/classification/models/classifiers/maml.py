from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm

from mmfewshot.classification.registry import MODELS
from ..utils import episode_layout
from .base import BaseFewShotClassifier, gt_labels

Params = Dict[str, torch.Tensor]


@MODELS.register_module()
class MAML(BaseFewShotClassifier):
    """Model-Agnostic Meta-Learning (Finn et al., 2017).

    For every episode the whole network is adapted to the support set by a
    few steps of gradient descent (the inner loop), and the loss of the
    adapted network on the query set trains the initial weights (the outer
    loop). The inner loop is functional: adapted weights are new tensors
    passed to ``torch.func.functional_call``, so the module's own
    parameters are never modified by adaptation. Second-order gradients
    flow through the inner loop unless ``first_order=True``.

    As in the original toolbox, BatchNorm layers keep no running statistics
    by default: every pass is normalised with the statistics of its own
    batch, in training and at meta test. The support set of a task is one
    batch (however the support loader splits it) and its query set must
    come as one batch, so a task's result does not depend on how the meta
    test is batched or split between processes.

    Args:
        backbone: Backbone config.
        head: Head config; a linear head whose ``num_classes`` is the
            number of ways.
        num_inner_steps: Inner-loop steps during training.
        num_inner_steps_test: Inner-loop steps at meta test.
        inner_lr: Inner-loop learning rate.
        first_order: Use the first-order approximation (no gradient through
            the inner loop).
        track_running_stats: Keep BatchNorm running statistics and
            normalise with them at meta test (not the original behaviour).
        neck: Optional neck config.
        data_preprocessor: Preprocessor config.
        init_cfg: Initialisation config.
    """

    supports_fast_test = False

    def __init__(self,
                 backbone: dict = dict(type='Conv4'),
                 head: dict = dict(
                     type='LinearHead', num_classes=5, in_channels=1600),
                 num_inner_steps: int = 5,
                 num_inner_steps_test: int = 10,
                 inner_lr: float = 0.01,
                 first_order: bool = False,
                 track_running_stats: bool = False,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)
        self.num_inner_steps = num_inner_steps
        self.num_inner_steps_test = num_inner_steps_test
        self.inner_lr = inner_lr
        self.first_order = first_order
        self.track_running_stats = track_running_stats
        if not track_running_stats:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.track_running_stats = False
                    module.running_mean = None
                    module.running_var = None
                    module.num_batches_tracked = None
        self._support_inputs: List[torch.Tensor] = []
        self._adapted: Optional[Params] = None

    # -- the network as a function of its parameters ----------------------
    def logits_with(self, params: Params,
                    inputs: torch.Tensor) -> torch.Tensor:
        """Logits of ``inputs`` under the given parameters."""
        return functional_call(self, params, (inputs, ), dict(mode='logits'))

    def adapt_params(self,
                     inputs: torch.Tensor,
                     labels: torch.Tensor,
                     num_steps: int,
                     create_graph: bool = False) -> Params:
        """Parameters after ``num_steps`` inner-loop steps on a support set.

        Args:
            inputs: Support images.
            labels: Their episode labels.
            num_steps: Number of gradient steps.
            create_graph: Keep the graph of the steps (second-order MAML).
        """
        params = dict(self.named_parameters())
        if not create_graph:
            params = {
                name: value.detach().requires_grad_(True)
                for name, value in params.items()
            }
        with torch.enable_grad():
            for _ in range(num_steps):
                loss = F.cross_entropy(
                    self.logits_with(params, inputs), labels)
                grads = torch.autograd.grad(
                    loss,
                    list(params.values()),
                    create_graph=create_graph,
                    allow_unused=True)
                params = {
                    name:
                    value if grad is None else value - self.inner_lr * grad
                    for (name, value), grad in zip(params.items(), grads)
                }
        return params

    # -- training ------------------------------------------------------------
    def loss(self, support_data: dict, query_data: dict,
             **kwargs) -> Dict[str, torch.Tensor]:
        device = self.device
        support_labels = gt_labels(support_data['data_samples'], device)
        query_labels = gt_labels(query_data['data_samples'], device)
        num_episodes = episode_layout(support_labels, 'support')[0]
        episode_layout(query_labels, 'query')
        support_inputs = support_data['inputs'].chunk(num_episodes)
        query_inputs = query_data['inputs'].chunk(num_episodes)
        support_labels = support_labels.chunk(num_episodes)
        query_labels = query_labels.chunk(num_episodes)
        losses, correct = [], 0
        for episode in range(num_episodes):
            params = self.adapt_params(
                support_inputs[episode],
                support_labels[episode],
                self.num_inner_steps,
                create_graph=not self.first_order)
            if self.first_order:
                # first order: the outer gradient is taken at the adapted
                # weights and applied to the initial ones
                params = {
                    name: self._straight_through(original, params[name])
                    for name, original in self.named_parameters()
                }
            logits = self.logits_with(params, query_inputs[episode])
            losses.append(F.cross_entropy(logits, query_labels[episode]))
            correct += int((logits.argmax(-1) == query_labels[episode]).sum())
        num_queries = sum(len(labels) for labels in query_labels)
        return dict(
            loss=torch.stack(losses).mean(),
            accuracy=torch.tensor(correct / num_queries, device=device))

    @staticmethod
    def _straight_through(original: torch.Tensor,
                          adapted: torch.Tensor) -> torch.Tensor:
        return original + (adapted - original).detach()

    # -- meta test ----------------------------------------------------------
    def before_meta_test(self, meta_test_cfg: dict) -> None:
        super().before_meta_test(meta_test_cfg)
        if self.meta_test_cfg.get('fast_test', False):
            raise ValueError(
                'MAML adapts the backbone to every task, so features cannot '
                'be cached: set meta_test_cfg.fast_test=False')
        query_batch = (self.meta_test_cfg.get('query') or {}).get('batch_size')
        query_set = self.meta_test_cfg.get(
            'num_ways', 0) * self.meta_test_cfg.get('num_queries', 0)
        if not self.track_running_stats and query_batch is not None \
                and query_batch < query_set:
            raise ValueError(
                f'meta_test_cfg.query.batch_size={query_batch}: MAML '
                'normalises a query set with its own batch statistics, so it '
                f'must come as one batch of {query_set} images (leave '
                'query.batch_size unset)')

    def before_forward_support(self, task_seed: Optional[int] = None) -> None:
        super().before_forward_support(task_seed)
        self._support_inputs = []
        self._adapted = None

    def forward(self, inputs=None, data_samples=None, mode='loss', **kwargs):
        """Adds ``mode='logits'`` (used by the functional calls); support
        and query modes take images, since features change per task."""
        if mode == 'logits':
            return self.head(self.extract_feat(inputs))
        if mode == 'support':
            self._support_inputs.append(inputs)
            self._support_labels.append(gt_labels(data_samples, inputs.device))
            return []
        if mode in ('query', 'predict'):
            return self.forward_query(inputs, data_samples)
        return super().forward(inputs, data_samples, mode, **kwargs)

    def before_forward_query(self) -> None:
        if not self._support_inputs:
            raise RuntimeError('before_forward_query() without a support '
                               "set: run forward(mode='support') first")
        self._adapted = self.adapt_params(
            torch.cat(self._support_inputs), torch.cat(self._support_labels),
            self.num_inner_steps_test)

    @torch.no_grad()
    def forward_query(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[Sequence[DataSample]] = None
    ) -> List[DataSample]:
        if self._adapted is None:
            raise RuntimeError('forward_query() before before_forward_query()'
                               ': the network is not adapted')
        probs = self.logits_with(self._adapted, inputs).softmax(-1)
        return self._to_data_samples(probs, data_samples)
