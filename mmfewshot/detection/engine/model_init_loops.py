"""Validation and test loops that initialise a query-support detector with
its support set before every evaluation."""
import copy
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import torch
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, TestLoop, ValLoop
from mmengine.runner.loops import BaseLoop, _parse_losses
from torch.utils.data import DataLoader

from mmfewshot.detection.datasets import BaseFewShotDataset
from mmfewshot.detection.registry import DATASETS, LOOPS
from mmfewshot.utils import ConfigError, DataError

# the key of the support set in a checkpoint's ``meta``
SUPPORT_SET_KEY = 'support_set'


def dataset_support_set(dataset: Any) -> Optional[Dict[str, list]]:
    """The support instances of a training dataset, if it has any.

    Returns:
        ``{'classes': [...], 'novel_classes': [...], 'data_list': [...]}``
        (plain lists, as stored in checkpoints) for a wrapper with
        ``get_support_data_list()`` (``QueryAwareDataset``,
        ``NWayKShotDataset``: its support instances) or a few-shot dataset
        (fine-tuning on a K-shot set: its items), else None.
    """
    if hasattr(dataset, 'get_support_data_list'):
        source, data_list = dataset.support_dataset, \
            dataset.get_support_data_list()
    elif isinstance(dataset, BaseFewShotDataset):
        source, data_list = dataset, dataset.get_data_list()
    else:
        return None
    return dict(
        classes=list(source.metainfo['classes']),
        novel_classes=list(source.metainfo.get('novel_classes') or []),
        data_list=data_list)


def training_support_set(runner: Runner) -> Optional[Dict[str, list]]:
    """The support instances of the running training, if it has any
    (:func:`dataset_support_set` of its training dataset)."""
    train_loop = getattr(runner, '_train_loop', None)
    if not isinstance(train_loop, BaseLoop):
        return None
    return dataset_support_set(train_loop.dataloader.dataset)


def run_model_init(model: torch.nn.Module, dataloader: Iterable[dict]) -> None:
    """Build the support cache of ``model`` from every batch of
    ``dataloader`` (``mode='model_init'``, then ``model_init()``), replacing
    the cache it had.

    Args:
        model: A query-support detector, or a wrapper of one (the wrapped
            module is used, so every process works on its own).
        dataloader: Batches of support instances (collated pipeline
            outputs), e.g. a dataloader; the ``metainfo`` of its dataset,
            if it has one, becomes the model's ``dataset_meta``.
    """
    if is_model_wrapper(model):
        model = model.module
    dataset_meta = getattr(
        getattr(dataloader, 'dataset', None), 'metainfo', None)
    if dataset_meta is not None:
        # the model detects the classes of its support set
        model.dataset_meta = dict(dataset_meta)
    model.reset_model_init()
    with torch.no_grad():
        for batch in dataloader:
            data = model.data_preprocessor(dict(support_data=batch), False)
            model(**data, mode='model_init')
    model.model_init()


def check_support_classes(model: torch.nn.Module,
                          support_classes: Sequence[str],
                          evaluated_classes: Sequence[str],
                          owner: str) -> None:
    """Refuse an evaluation that the support set cannot serve.

    A query-support detector only detects the classes of its support cache,
    under their support labels, while the metric reads labels as the
    evaluated dataset's classes. So every evaluated class needs support
    instances, under the same label.

    Args:
        model: The detector after model initialisation (or its wrapper).
        support_classes: The classes the support labels index.
        evaluated_classes: The classes of the evaluated dataset.
        owner: The loop, for messages.

    Raises:
        DataError: naming the evaluated classes without a support instance.
        ConfigError: naming a class that the support set labels otherwise
            than the evaluated dataset, or a support class that is not
            evaluated.
    """
    if is_model_wrapper(model):
        model = model.module
    cached = set(model.support_cache)
    support_classes = list(support_classes)
    evaluated_classes = list(evaluated_classes)
    for label in sorted(cached):
        name = support_classes[label]
        if name not in evaluated_classes:
            raise ConfigError(
                f'{owner}: support class {name!r} is not a class of the '
                f'evaluated dataset {evaluated_classes}; give the '
                'model-initialisation set and the evaluated dataset the same '
                '`classes`')
        if evaluated_classes.index(name) != label:
            raise ConfigError(
                f'{owner}: the support set labels class {name!r} {label} '
                'but the evaluated dataset labels it '
                f'{evaluated_classes.index(name)}; give both the same '
                '`classes` in the same order')
    missing = [
        name for label, name in enumerate(evaluated_classes)
        if label not in cached
    ]
    if missing:
        raise DataError(
            f'{owner}: the support set has no instance of class(es) '
            f'{missing} of the evaluated dataset, which would never be '
            'detected (AP 0); give the model-initialisation set instances '
            'of every evaluated class, or evaluate fewer classes')


class ModelInitData:
    """Where the model-initialisation set of a loop comes from.

    ``model_init_dataloader`` is a dataloader config: ``batch_size``,
    ``num_workers`` and ``dataset`` (a few-shot dataset config whose
    pipeline prepares support instances). The loader is never distributed:
    every process runs the whole support set, so all of them hold the same
    cache and N processes give the numbers of one. With
    ``copy_from_train=True`` the dataset's ``ann_cfg`` is replaced by the
    support instances of few-shot training (``instance_wise=True``; without
    ``classes``, the dataset takes the classes of training): those of the
    running training, else the set a checkpoint carried
    (:attr:`support_set`, restored by
    :func:`mmfewshot.detection.apis.restore_support_set`).

    Args:
        owner: The loop's name, for messages.
        model_init_dataloader: The config described above.
        default_scope: Scope of the dataset types.
    """

    def __init__(self, owner: str, model_init_dataloader: dict,
                 default_scope: str) -> None:
        cfg = copy.deepcopy(dict(model_init_dataloader))
        self.owner = owner
        self.copy_from_train = bool(cfg.pop('copy_from_train', False))
        if not isinstance(cfg.get('dataset'), dict):
            raise ConfigError(f'{owner}.model_init_dataloader needs a '
                              '`dataset` config')
        unknown = set(cfg) - {'dataset', 'batch_size', 'num_workers'}
        if unknown:
            raise ConfigError(
                f'{owner}.model_init_dataloader: unknown keys '
                f'{sorted(unknown)} (it takes dataset, batch_size, '
                'num_workers and copy_from_train)')
        self.cfg = cfg
        self.default_scope = default_scope
        self.support_set: Optional[Dict[str, list]] = None

    def dataset_cfg(self, runner: Runner) -> dict:
        """The dataset config with the copied instances filled in."""
        dataset = copy.deepcopy(self.cfg['dataset'])
        if not self.copy_from_train:
            return dataset
        support_set = training_support_set(runner) or self.support_set
        if support_set is None:
            raise ConfigError(
                f'{self.owner}.model_init_dataloader copies the support set '
                'of few-shot training (copy_from_train=True), but nothing '
                'trains and no checkpoint brought one: test a checkpoint '
                'saved by tools/detection/train.py, or give '
                'model_init_dataloader.dataset an ann_cfg and '
                'copy_from_train=False')
        dataset.update(
            ann_cfg=[
                dict(
                    type='data_list',
                    data_list=support_set['data_list'],
                    classes=support_set['classes'])
            ],
            instance_wise=True)
        if dataset.get('classes') is None:
            dataset['classes'] = list(support_set['classes'])
            if dataset.get('novel_classes') is None and \
                    support_set.get('novel_classes') is not None:
                dataset['novel_classes'] = list(support_set['novel_classes'])
        return dataset

    def build_dataloader(self, runner: Runner) -> DataLoader:
        """An undistributed, unshuffled loader of the support set."""
        with DefaultScope.overwrite_default_scope(self.default_scope):
            dataset = DATASETS.build(self.dataset_cfg(runner))
        return DataLoader(
            dataset,
            batch_size=self.cfg.get('batch_size', 16),
            num_workers=self.cfg.get('num_workers', 0),
            shuffle=False,
            collate_fn=pseudo_collate)


def _evaluate(loop: Union['QuerySupportValLoop', 'QuerySupportTestLoop'],
              stage: str, losses: Dict[str, Any]) -> dict:
    """The run of a validation or test loop with model initialisation
    after the ``before_{stage}_epoch`` hooks (which may swap weights)."""
    runner = loop.runner
    runner.call_hook(f'before_{stage}')
    runner.call_hook(f'before_{stage}_epoch')
    runner.model.eval()
    support_loader = loop.model_init.build_dataloader(runner)
    run_model_init(runner.model, support_loader)
    check_support_classes(runner.model,
                          support_loader.dataset.metainfo['classes'],
                          loop.dataloader.dataset.metainfo['classes'],
                          loop.model_init.owner)
    losses.clear()
    for idx, data_batch in enumerate(loop.dataloader):
        loop.run_iter(idx, data_batch)
    metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
    if losses:
        metrics.update(_parse_losses(losses, stage))
    runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
    runner.call_hook(f'after_{stage}')
    return metrics


@LOOPS.register_module()
class QuerySupportValLoop(ValLoop):
    """mmengine's ``ValLoop`` that first runs model initialisation over the
    support set (:class:`ModelInitData`), with the current weights.

    Args:
        runner: The runner.
        dataloader: The validation dataloader (config).
        evaluator: The evaluator (config).
        model_init_dataloader: The support set's loader config.
        fp16: Validate with autocast.
    """

    def __init__(self,
                 runner: Runner,
                 dataloader: Union[DataLoader, dict],
                 evaluator: Union[Evaluator, dict, List],
                 model_init_dataloader: dict,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.model_init = ModelInitData(
            'val_cfg', model_init_dataloader,
            runner.cfg.get('default_scope', 'mmfewshot_det'))

    def run(self) -> dict:
        """Initialise the model with the support set, then validate."""
        return _evaluate(self, 'val', self.val_loss)


@LOOPS.register_module()
class QuerySupportTestLoop(TestLoop):
    """mmengine's ``TestLoop`` that first runs model initialisation over the
    support set (:class:`ModelInitData`).

    Args:
        runner: The runner.
        dataloader: The test dataloader (config).
        evaluator: The evaluator (config).
        model_init_dataloader: The support set's loader config.
        fp16: Test with autocast.
    """

    def __init__(self,
                 runner: Runner,
                 dataloader: Union[DataLoader, dict],
                 evaluator: Union[Evaluator, dict, List],
                 model_init_dataloader: dict,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.model_init = ModelInitData(
            'test_cfg', model_init_dataloader,
            runner.cfg.get('default_scope', 'mmfewshot_det'))

    def run(self) -> dict:
        """Initialise the model with the support set, then test."""
        return _evaluate(self, 'test', self.test_loss)
