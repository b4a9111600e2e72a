import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import all_gather, get_dist_info
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from mmfewshot.classification.registry import LOOPS
from mmfewshot.utils.errors import ConfigError, ConfigTypeError
from ..datasets import build_meta_test_dataloaders
from ..models import BaseFewShotClassifier

TaskResult = Dict[str, Union[int, float]]


@LOOPS.register_module()
class MetaTestLoop(BaseLoop):
    """Episodic meta testing of a few-shot classifier.

    The dataloader serves a ``MetaTestDataset``: its episodes are the
    tasks. The loop works on a copy of the model, calls
    ``before_meta_test(meta_test_cfg)``, then either

    - ``fast_test=True`` (default where the model supports it): extracts
      the features of the whole test set once with the frozen backbone and
      answers the tasks from those cached features, ``tasks_per_batch``
      tasks at a time as batched tensor operations; or
    - ``fast_test=False``: runs every task through the support and query
      dataloaders: ``before_forward_support`` → support batches →
      ``before_forward_query`` → query batches.

    The model is in evaluation mode throughout, unless
    ``support_train_mode=True`` (with ``fast_test=False``): then, as the
    original toolbox meta-tests wherever its ``fast_test`` is off, the
    support batches pass the model in training mode (BatchNorm normalises
    them with their own statistics and updates its running statistics by
    its momentum), the query batches in evaluation mode with the running
    statistics so updated, and every task starts again from the buffers
    (running statistics) of the model the meta test began with (the
    original deep-copied the model for every task).

    Each task gets the seed ``seed + task_id`` for the randomness of its
    adaptation (e.g. head initialisation and fine-tuning order), so a task
    gets the same answer however tasks are batched or split between
    processes. With several processes, rank ``r`` takes tasks ``r, r + N,
    ...``, the test-set features are extracted in shards and gathered, and
    the evaluator gathers the per-task results in task order.

    Args:
        runner: The runner.
        dataloader: Dataloader (or its config) of the ``MetaTestDataset``
            in test-set mode, used for feature extraction.
        evaluator: Evaluator config; defaults to ``EpisodicAccuracy``.
        meta_test_cfg: ``fast_test`` (bool), ``support_train_mode``
            (bool), ``tasks_per_batch`` (int), ``seed`` (int), the
            ``support`` / ``query`` dataloader settings
            of the per-task path, ``support.train`` (fine-tuning settings
            of fine-tune based heads), and ``num_ways`` / ``num_shots`` for
            models that need them up front.
    """

    stage = 'test'

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, dict],
                 evaluator: Optional[Union[Evaluator, dict, list]] = None,
                 meta_test_cfg: Optional[dict] = None) -> None:
        super().__init__(runner, dataloader)
        self.dataset = self.dataloader.dataset
        for attribute in ('episode_support_indices', 'episode_query_indices',
                          'support', 'query', 'set_task_id'):
            if not hasattr(self.dataset, attribute):
                raise ConfigTypeError(
                    f'{type(self).__name__} needs a MetaTestDataset in its '
                    f'dataloader; got {type(self.dataset).__name__}')
        if evaluator is None:
            evaluator = dict(type='EpisodicAccuracy')
        self.evaluator = (
            runner.build_evaluator(evaluator) if isinstance(
                evaluator, (dict, list)) else evaluator)
        self.meta_test_cfg = dict(meta_test_cfg or {})
        self.meta_test_cfg.setdefault('num_ways', self.dataset.num_ways)
        self.meta_test_cfg.setdefault('num_shots', self.dataset.num_shots)
        self.meta_test_cfg.setdefault('num_queries', self.dataset.num_queries)
        self.fast_test = bool(self.meta_test_cfg.get('fast_test', True))
        self.tasks_per_batch = int(
            self.meta_test_cfg.get('tasks_per_batch', 100))
        self.seed = int(self.meta_test_cfg.get('seed', 0))
        if self.tasks_per_batch < 1:
            raise ConfigError('meta_test_cfg.tasks_per_batch must be >= 1, '
                              f'got {self.tasks_per_batch}')
        self.support_train_mode = bool(
            self.meta_test_cfg.get('support_train_mode', False))
        if self.support_train_mode and self.fast_test:
            raise ConfigError(
                'meta_test_cfg.support_train_mode=True needs fast_test=False:'
                ' cached features are extracted in evaluation mode')

    # -- the loop -----------------------------------------------------------
    def run(self) -> Dict[str, float]:
        self.runner.call_hook(f'before_{self.stage}')
        self.runner.call_hook(f'before_{self.stage}_epoch')
        model = self.prepare_model()
        task_ids = self.task_ids_of_this_rank()
        if self.fast_test:
            feats = self.extract_test_set_feats(model)
            results = self.run_tasks_on_feats(model, feats, task_ids)
        else:
            results = self.run_tasks(model, task_ids)
        self.evaluator.process(data_samples=results, data_batch=None)
        metrics = self.evaluator.evaluate(self.dataset.num_episodes)
        self.runner.call_hook(f'after_{self.stage}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{self.stage}')
        return metrics

    def prepare_model(self) -> BaseFewShotClassifier:
        """A copy of the model, made ready for meta testing."""
        model = self.runner.model
        if is_model_wrapper(model):
            model = model.module
        model = copy.deepcopy(model)
        if self.fast_test and not model.supports_fast_test:
            raise ConfigError(
                f'{type(model).__name__} cannot answer tasks from cached '
                'features: set meta_test_cfg.fast_test=False')
        model.before_meta_test(self.meta_test_cfg)
        return model

    def task_ids_of_this_rank(self) -> List[int]:
        """Tasks ``rank, rank + N, ...``, padded so every rank has as many
        (the evaluator drops the padding when it gathers)."""
        rank, world_size = get_dist_info()
        num_tasks = self.dataset.num_episodes
        per_rank = -(-num_tasks // world_size)
        return [(rank + i * world_size) % num_tasks for i in range(per_rank)]

    # -- fast path: cached features -------------------------------------------
    @torch.no_grad()
    def extract_test_set_feats(self,
                               model: BaseFewShotClassifier) -> torch.Tensor:
        """Features of every test-set image, ``[len(dataset), ...]``.

        The images are cut into the batches a single process would use and
        rank ``r`` extracts batches ``r, r + N, ...``, so every image is
        seen in the same batch whatever the number of processes (features
        of some backbones depend slightly on the batch they come in).
        """
        rank, world_size = get_dist_info()
        progress_rank = rank
        batch_size = self.dataloader.batch_size or 1
        if -(-len(self.dataset) // batch_size) < world_size:
            # fewer batches than processes: every process extracts all
            rank, world_size = 0, 1
        loader = self.extraction_loader(rank, world_size)
        feats_list, indices_list = [], []
        progress = ProgressBar(len(loader)) if progress_rank == 0 else None
        for data in loader:
            data = model.data_preprocessor(data, False)
            feats_list.append(model.extract_feat(data['inputs']))
            indices_list.append(
                torch.tensor([
                    int(sample.sample_idx) for sample in data['data_samples']
                ],
                             device=feats_list[-1].device))
            if progress is not None:
                progress.update()
        feats = torch.cat(feats_list)
        indices = torch.cat(indices_list)
        if world_size > 1:
            feats, indices = self.gather_padded(feats, indices)
        num_images = len(self.dataset)
        table = feats.new_zeros((num_images, *feats.shape[1:]))
        table[indices] = feats
        seen = torch.zeros(num_images, dtype=torch.bool, device=feats.device)
        seen[indices] = True
        if not bool(seen.all()):
            raise RuntimeError(
                f'feature extraction covered {int(seen.sum())} of '
                f'{num_images} test images')
        return table

    def extraction_loader(self, rank: int, world_size: int) -> DataLoader:
        """The configured test-set loader, sharded by whole batches."""
        loader = self.dataloader
        batch_size = loader.batch_size or 1
        num_images = len(self.dataset)
        num_batches = -(-num_images // batch_size)
        indices = [
            index for batch in range(rank, num_batches, world_size)
            for index in range(batch * batch_size,
                               min((batch + 1) * batch_size, num_images))
        ]
        return DataLoader(
            self.dataset,
            batch_size=batch_size,
            sampler=indices,
            num_workers=loader.num_workers,
            collate_fn=loader.collate_fn,
            pin_memory=loader.pin_memory,
            worker_init_fn=loader.worker_init_fn)

    @staticmethod
    def gather_padded(feats: torch.Tensor, indices: torch.Tensor):
        """All ranks' features and indices (shards may differ in length)."""
        longest = max(
            all_gather(torch.tensor(len(indices), device=indices.device)))
        padding = int(longest) - len(indices)
        feats = torch.cat([feats, feats.new_zeros(padding, *feats.shape[1:])])
        indices = torch.cat([indices, indices.new_full((padding, ), -1)])
        feats = torch.cat(all_gather(feats))
        indices = torch.cat(all_gather(indices))
        kept = indices >= 0
        return feats[kept], indices[kept]

    @torch.no_grad()
    def run_tasks_on_feats(self, model: BaseFewShotClassifier,
                           feats: torch.Tensor,
                           task_ids: Sequence[int]) -> List[TaskResult]:
        """Answer tasks from cached features, ``tasks_per_batch`` at once."""
        device = feats.device
        support_indices = self.dataset.episode_support_indices.to(device)
        query_indices = self.dataset.episode_query_indices.to(device)
        support_labels, query_labels = self.episode_labels(device)
        results: List[TaskResult] = []
        progress = self.task_progress(len(task_ids))
        for start in range(0, len(task_ids), self.tasks_per_batch):
            chunk = list(task_ids[start:start + self.tasks_per_batch])
            chunk_ids = torch.tensor(chunk, device=device)
            probs = model.meta_test_tasks(
                feats[support_indices[chunk_ids]],
                support_labels.expand(len(chunk), -1),
                feats[query_indices[chunk_ids]],
                task_seeds=[self.seed + task_id for task_id in chunk])
            correct = (probs.argmax(-1) == query_labels).sum(-1).tolist()
            results.extend(
                self.task_result(task_id, hits, query_labels.numel())
                for task_id, hits in zip(chunk, correct))
            if progress is not None:
                progress.update(len(chunk))
        return results

    def episode_labels(self, device: torch.device):
        """Episode labels of support and query (class-major order)."""
        ways = torch.arange(self.dataset.num_ways, device=device)
        return (ways.repeat_interleave(self.dataset.num_shots),
                ways.repeat_interleave(self.dataset.num_queries))

    # -- per-task path: dataloaders -----------------------------------------
    @torch.no_grad()
    def run_tasks(self, model: BaseFewShotClassifier,
                  task_ids: Sequence[int]) -> List[TaskResult]:
        """Answer tasks one at a time through the support/query loaders."""
        _, support_loader, query_loader = build_meta_test_dataloaders(
            self.dataset, self.meta_test_cfg)
        results: List[TaskResult] = []
        progress = self.task_progress(len(task_ids))
        initial_buffers = {
            name: buffer.clone()
            for name, buffer in model.named_buffers()
        } if self.support_train_mode else {}
        for task_id in task_ids:
            support_loader.dataset.set_task_id(task_id)
            query_loader.dataset.set_task_id(task_id)
            model.before_forward_support(task_seed=self.seed + task_id)
            if self.support_train_mode:
                model.train()
            for data in support_loader:
                model(**model.data_preprocessor(data, False), mode='support')
            if self.support_train_mode:
                model.eval()
            model.before_forward_query()
            hits, total = 0, 0
            for data in query_loader:
                predictions = model(
                    **model.data_preprocessor(data, False), mode='query')
                for sample in predictions:
                    hits += int(sample.pred_label == sample.gt_label)
                    total += 1
            results.append(self.task_result(task_id, hits, total))
            for name, buffer in model.named_buffers():
                if name in initial_buffers:
                    buffer.copy_(initial_buffers[name])
            if progress is not None:
                progress.update()
        return results

    # -- helpers -------------------------------------------------------------
    @staticmethod
    def task_result(task_id: int, hits: int, total: int) -> TaskResult:
        return dict(
            task_id=task_id,
            num_correct=hits,
            num_queries=total,
            accuracy=hits / total)

    @staticmethod
    def task_progress(num_tasks: int) -> Optional[ProgressBar]:
        rank, _ = get_dist_info()
        return ProgressBar(num_tasks) if rank == 0 and num_tasks else None


@LOOPS.register_module()
class MetaValLoop(MetaTestLoop):
    """:class:`MetaTestLoop` run as validation during training (it calls
    the ``*_val`` hooks, so ``CheckpointHook(save_best='accuracy_mean')``
    keeps the best checkpoint)."""

    stage = 'val'
