"""Dataset wrappers that decide how query and support data are sampled.

All wrappers work on any mmdet-style dataset (``get_data_info(i)`` with
``instances``, ``metainfo['classes']``, ``pipeline``), in particular the
few-shot datasets of this package. A wrapped dataset built with
``multi_pipelines`` is run through its named pipelines: ``'query'`` and
``'support'`` (:class:`QueryAwareDataset`, :class:`NWayKShotDataset`) or
``'main'`` and ``'auxiliary'`` (:class:`TwoBranchDataset`); a dataset with a
single ``pipeline`` is run through it.

Support and auxiliary data are single *instances*: the item of the instance
with its ``instances`` list reduced to that one instance (only instances with
``ignore_flag == 0`` count), so any dataset can provide them, instance-wise
or not.

Randomness. Every wrapper takes a ``seed``. :class:`QueryAwareDataset` draws
item ``i`` from ``numpy.random.default_rng([seed, i])``, so an item is the
same whatever worker process or order loads it; without a seed it draws a
fresh seed from numpy's global random state, which the mmengine runner seeds
(``randomness=dict(seed=...)``) in the main process and in every dataloader
worker. :class:`NWayKShotDataset` draws its ``k``-th list of support batches
from ``default_rng([seed, k])``; without a seed it takes one from numpy's
global state when it is built.
"""
import math
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np
from torch.utils.data import Dataset

from mmfewshot.detection.registry import DATASETS
from mmfewshot.utils.errors import ConfigError, ConfigKeyError
from .utils import valid_instances

DatasetLike = Union[dict, Dataset]
# (item index, instance index) of one target instance of a dataset.
InstanceRef = Tuple[int, int]


def _build_dataset(dataset: DatasetLike) -> Dataset:
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    return dataset


def _build_pair(owner: str, dataset: DatasetLike, other: Optional[DatasetLike],
                roles: Tuple[str, str]) -> Tuple[Dataset, Dataset]:
    """Build a wrapper's two datasets; ``other=None`` reuses ``dataset``,
    which must then have named pipelines for both ``roles``."""
    dataset = _build_dataset(dataset)
    if other is not None:
        return dataset, _build_dataset(other)
    if not getattr(dataset, 'multi_pipelines', None):
        first, second = roles
        raise ConfigError(
            f'{owner} without {second}_dataset needs a {first}_dataset '
            f'built with multi_pipelines=dict({first}=[...], '
            f'{second}=[...])')
    return dataset, dataset


def _dataset_name(dataset: Dataset) -> str:
    return getattr(dataset, 'dataset_name', type(dataset).__name__)


def _named_pipeline(dataset: Dataset, pipeline_key: str) -> Callable:
    """``dataset``'s named pipeline ``pipeline_key`` if it has named
    pipelines, else its ``pipeline``."""
    pipelines = getattr(dataset, 'multi_pipelines', None)
    if not pipelines:
        return dataset.pipeline
    if pipeline_key not in pipelines:
        raise ConfigKeyError(
            f'{_dataset_name(dataset)} has named pipelines '
            f'{sorted(pipelines)} but no {pipeline_key!r} pipeline')
    return pipelines[pipeline_key]


def _run_pipeline(pipeline: Callable, data_info: dict) -> Any:
    output = pipeline(data_info)
    if output is None:
        raise RuntimeError(
            f'the pipeline dropped image {data_info.get("img_path")} '
            f'(it returned None); wrappers need every item to pass')
    return output


def _seed_from_global_state() -> int:
    return int(np.random.randint(2**31 - 1))


class _InstancePool:
    """The target instances of a dataset grouped by label.

    Args:
        dataset: The dataset whose instances are pooled.
        pipeline_key: Named pipeline that prepares one instance.
    """

    def __init__(self, dataset: Dataset, pipeline_key: str) -> None:
        self.dataset = dataset
        self.pipeline = _named_pipeline(dataset, pipeline_key)
        self.by_label: Dict[int, List[InstanceRef]] = defaultdict(list)
        self.img_paths: List[str] = []
        for idx in range(len(dataset)):
            data_info = dataset.get_data_info(idx)
            self.img_paths.append(data_info['img_path'])
            for instance_idx, instance in enumerate(data_info['instances']):
                if not instance['ignore_flag']:
                    self.by_label[instance['bbox_label']].append(
                        (idx, instance_idx))
        self.by_label = dict(sorted(self.by_label.items()))

    @property
    def labels(self) -> List[int]:
        """Labels with at least one instance, ascending."""
        return list(self.by_label)

    def count(self, label: int) -> int:
        return len(self.by_label.get(label, ()))

    def class_name(self, label: int) -> str:
        return self.dataset.metainfo['classes'][label]

    def check_shots(self,
                    num_shots: int,
                    owner: str,
                    count: Optional[Callable[[int], int]] = None) -> None:
        """Raise if a pooled class has fewer than ``num_shots`` instances.
        """
        count = count or self.count
        short = [
            f'{self.class_name(label)!r} ({count(label)})'
            for label in self.labels if count(label) < num_shots
        ]
        if short:
            raise ConfigError(
                f'{owner}: num_support_shots={num_shots} but classes '
                f'{", ".join(short)} of {_dataset_name(self.dataset)} have '
                'fewer support instances')

    def data_list(self) -> List[dict]:
        """The pooled instances as items, each reduced to its instance.

        Returns:
            One item per instance (label by label, ascending), without
            ``sample_idx``; labels index the pooled dataset's classes.
        """
        items = []
        for refs in self.by_label.values():
            for idx, instance_idx in refs:
                data_info = self.dataset.get_data_info(idx)
                data_info.pop('sample_idx', None)
                data_info['instances'] = [data_info['instances'][instance_idx]]
                items.append(data_info)
        return items

    def data_info(self, ref: InstanceRef) -> dict:
        """Item ``ref[0]`` reduced to instance ``ref[1]``."""
        idx, instance_idx = ref
        data_info = self.dataset.get_data_info(idx)
        data_info['instances'] = [data_info['instances'][instance_idx]]
        return data_info

    def prepare(self, ref: InstanceRef) -> Any:
        """Run the pipeline on item ``ref[0]`` reduced to instance
        ``ref[1]``."""
        return _run_pipeline(self.pipeline, self.data_info(ref))


def _query_output(dataset: Dataset, idx: int, pipeline_key: str) -> Any:
    """Item ``idx`` through the named pipeline, or ``dataset[idx]``."""
    if getattr(dataset, 'multi_pipelines', None):
        return dataset.prepare_data(idx, pipeline_key)
    return dataset[idx]


def _check_positive(owner: str, **values: Optional[int]) -> None:
    for name, value in values.items():
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ConfigError(f'{owner}: {name} must be a positive int, got '
                              f'{value!r}')


def _check_num_ways(owner: str, num_ways: int, pool: _InstancePool) -> None:
    if num_ways > len(pool.labels):
        raise ConfigError(
            f'{owner}: num_support_ways={num_ways} but only '
            f'{len(pool.labels)} classes have support instances in '
            f'{_dataset_name(pool.dataset)}: '
            f'{[pool.class_name(label) for label in pool.labels]}')


@DATASETS.register_module()
class QueryAwareDataset(Dataset):
    """Query images paired with support instances of their class.

    For Attention-RPN and FSDetView style training. Item ``i`` is::

        dict(query_data=<query image pipeline output>,
             support_data=[<support instance pipeline output>, ...])

    The query is image ``i % num_query_images`` of the usable query images
    (those with a target instance of a class that has support instances).
    One of its classes is chosen at random and its instances are reduced to
    that class. ``support_data`` holds ``num_support_ways *
    num_support_shots`` instances, way by way: way 0 is the query's class,
    ways 1.. are distinct other classes chosen at random; every way has
    ``num_support_shots`` distinct instances, taken from images other than
    the query image whenever the class has enough of them. Support outputs
    keep their dataset labels.

    The query image goes through the query dataset's ``'query'`` pipeline
    (or its only pipeline), support instances through the support dataset's
    ``'support'`` pipeline (or its only pipeline). See the module docstring
    for how ``seed`` makes the draws reproducible.

    Args:
        query_dataset: The query dataset or its config.
        support_dataset: The dataset the support instances come from (or
            its config). ``None`` uses ``query_dataset``, which must then be
            built with ``multi_pipelines=dict(query=[...], support=[...])``.
        num_support_ways: Ways per item, the query's class included.
        num_support_shots: Instances per way.
        repeat_times: The query images are repeated this many times.
        seed: Seed of the draws; ``None`` draws from numpy's global state.
    """

    def __init__(self,
                 query_dataset: DatasetLike,
                 support_dataset: Optional[DatasetLike] = None,
                 num_support_ways: int = 2,
                 num_support_shots: int = 1,
                 repeat_times: int = 1,
                 seed: Optional[int] = None) -> None:
        owner = type(self).__name__
        _check_positive(
            owner,
            num_support_ways=num_support_ways,
            num_support_shots=num_support_shots,
            repeat_times=repeat_times)
        self.query_dataset, self.support_dataset = _build_pair(
            owner, query_dataset, support_dataset, ('query', 'support'))
        self.num_support_ways = num_support_ways
        self.num_support_shots = num_support_shots
        self.repeat_times = repeat_times
        self.seed = seed
        self._query_pipeline = _named_pipeline(self.query_dataset, 'query')
        self.support_pool = _InstancePool(self.support_dataset, 'support')
        _check_num_ways(owner, num_support_ways, self.support_pool)
        self.support_pool.check_shots(num_support_shots, owner)
        # positions in a class pool of the instances of each image
        self._positions_in_image: Dict[Tuple[int, str], List[int]] = \
            defaultdict(list)
        for label, refs in self.support_pool.by_label.items():
            for position, (idx, _) in enumerate(refs):
                self._positions_in_image[(
                    label, self.support_pool.img_paths[idx])].append(position)
        # (query item index, labels it can be a query of)
        self.query_items: List[Tuple[int, List[int]]] = []
        for idx in range(len(self.query_dataset)):
            labels = sorted({
                instance['bbox_label']
                for instance in valid_instances(
                    self.query_dataset.get_data_info(idx))
            } & set(self.support_pool.labels))
            if labels:
                self.query_items.append((idx, labels))
        if not self.query_items:
            raise ConfigError(
                f'{owner}: no image of {_dataset_name(self.query_dataset)} '
                'has an instance of a class with support instances')

    @property
    def metainfo(self) -> dict:
        """The query dataset's meta information."""
        return self.query_dataset.metainfo

    def get_support_data_list(self) -> List[dict]:
        """The support instances this wrapper draws from, one item each.

        Query-support detectors copy them into their model-initialisation
        set (the exact instances of few-shot training).

        Returns:
            Items of ``support_dataset`` reduced to one instance each, label
            by label; labels index ``support_dataset.metainfo['classes']``.
        """
        return self.support_pool.data_list()

    def __len__(self) -> int:
        return len(self.query_items) * self.repeat_times

    def _rng(self, idx: int) -> np.random.Generator:
        seed = _seed_from_global_state() if self.seed is None else self.seed
        return np.random.default_rng([seed, idx])

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        rng = self._rng(idx)
        query_idx, labels = self.query_items[idx % len(self.query_items)]
        query_label = labels[rng.integers(len(labels))]
        data_info = self.query_dataset.get_data_info(query_idx)
        data_info['instances'] = [
            instance for instance in data_info['instances']
            if instance['bbox_label'] == query_label
        ]
        query_image = data_info['img_path']
        query_data = _run_pipeline(self._query_pipeline, data_info)
        other_labels = [
            label for label in self.support_pool.labels if label != query_label
        ]
        ways = [query_label] + [
            int(label) for label in rng.choice(
                other_labels, self.num_support_ways - 1, replace=False)
        ]
        support_data = [
            self.support_pool.prepare(ref) for label in ways
            for ref in self._draw_shots(rng, label, query_image)
        ]
        return dict(query_data=query_data, support_data=support_data)

    def _draw_shots(self, rng: np.random.Generator, label: int,
                    query_image: str) -> List[InstanceRef]:
        """``num_support_shots`` distinct instances of ``label``, from other
        images than ``query_image`` first."""
        refs = self.support_pool.by_label[label]
        same_image = set(
            self._positions_in_image.get((label, query_image), ()))
        # Drawing len(same_image) extra positions guarantees enough
        # positions of other images whenever the class has them.
        drawn = rng.choice(
            len(refs),
            min(len(refs), self.num_support_shots + len(same_image)),
            replace=False).tolist()
        ordered = [p for p in drawn if p not in same_image] + \
            [p for p in drawn if p in same_image]
        return [refs[p] for p in ordered[:self.num_support_shots]]


@DATASETS.register_module()
class NWayKShotDataset(Dataset):
    """Query images and, separately, batches of N-way K-shot support data.

    For Meta R-CNN and FSDetView style training. The dataset has two modes:

    - ``'query'`` (as built): item ``i`` is the output of query image
      ``i % len(query_dataset)`` (its ``'query'`` pipeline or its only
      pipeline); the length is ``len(query_dataset) * repeat_times``.
    - ``'support'`` (after :meth:`convert_query_to_support`): item ``i`` is
      support batch ``i``, a list of ``num_support_ways * num_support_shots``
      instance outputs (the support dataset's ``'support'`` pipeline or its
      only pipeline): ``num_support_shots`` distinct instances of each of
      ``num_support_ways`` distinct classes, ways in ascending label order.
      :meth:`shuffle_support` draws a new list of batches, which
      :class:`NWayKShotDataloader` does before every pass after the first.

    The support pool: the instances (not ignored) of ``support_dataset``
    that support batches are drawn from, which
    :meth:`get_support_data_list` also lists for model initialisation. As
    the original toolbox builds it (``support_pool='first'``), the pool
    goes through the images in dataset order and their instances in
    annotation order and keeps an instance while its class has fewer than
    ``num_used_support_shots`` in the pool; with
    ``one_support_shot_per_image`` it keeps at most one instance per image,
    the first one whose class still has room. A support batch then draws
    ``num_support_ways`` classes, and ``num_support_shots`` distinct pool
    instances of each, without replacement.

    Use :func:`build_nway_kshot_dataloader` to get the paired dataloader.

    Args:
        query_dataset: The query dataset or its config.
        support_dataset: The dataset the support instances come from (or its
            config). ``None`` uses ``query_dataset``, which must then be
            built with ``multi_pipelines=dict(query=[...], support=[...])``.
        num_support_ways: Classes per support batch; at most the number of
            classes with support instances.
        num_support_shots: Instances per class in a support batch.
        one_support_shot_per_image: The shots of one class in a batch come
            from different images: with ``support_pool='first'`` the pool
            keeps one instance per image (see above); with ``'random'`` a
            shot draws one of the images holding the class, then one of the
            class's instances there.
        num_used_support_shots: Use at most this many instances of every
            class: the first ones (``support_pool='first'``) or a subset
            drawn once with the seed (``'random'``).
        support_pool: ``'first'`` (default, the original toolbox's pool,
            see above) or ``'random'`` (the pool is every instance, or a
            seeded subset of ``num_used_support_shots`` per class, and
            ``one_support_shot_per_image`` acts per batch, giving every
            image holding a class the same chance).
        repeat_times: Query images are repeated this many times per epoch.
        seed: Seed of the support draws; ``None`` takes one from numpy's
            global random state at construction. Give every process the
            same seed: all of them must draw the same support batches.

    Raises:
        ConfigError: A bad count, an unknown ``support_pool``, more ways
            than classes with support instances, or a class of the pool
            with fewer than ``num_support_shots`` instances (images, when
            one shot per image is drawn from all of them).
    """

    #: the ways to build the support pool
    SUPPORT_POOLS = ('first', 'random')

    def __init__(self,
                 query_dataset: DatasetLike,
                 support_dataset: Optional[DatasetLike] = None,
                 num_support_ways: int = 2,
                 num_support_shots: int = 1,
                 one_support_shot_per_image: bool = False,
                 num_used_support_shots: Optional[int] = None,
                 support_pool: str = 'first',
                 repeat_times: int = 1,
                 seed: Optional[int] = None) -> None:
        owner = type(self).__name__
        if support_pool not in self.SUPPORT_POOLS:
            raise ConfigError(
                f'{owner}: support_pool must be one of {self.SUPPORT_POOLS}, '
                f'got {support_pool!r}')
        _check_positive(
            owner,
            num_support_ways=num_support_ways,
            num_support_shots=num_support_shots,
            num_used_support_shots=num_used_support_shots,
            repeat_times=repeat_times)
        self.query_dataset, self.support_dataset = _build_pair(
            owner, query_dataset, support_dataset, ('query', 'support'))
        self.num_support_ways = num_support_ways
        self.num_support_shots = num_support_shots
        self.one_support_shot_per_image = one_support_shot_per_image
        self.num_used_support_shots = num_used_support_shots
        self.support_pool_rule = support_pool
        self.repeat_times = repeat_times
        self.seed = _seed_from_global_state() if seed is None else seed
        self.mode = 'query'
        self.support_batches: List[List[InstanceRef]] = []
        self._num_shuffles = 0

        self.support_pool = _InstancePool(self.support_dataset, 'support')
        if support_pool == 'first':
            self._keep_first_instances()
        elif num_used_support_shots is not None:
            self._limit_support_instances(num_used_support_shots)
        _check_num_ways(owner, num_support_ways, self.support_pool)
        # label -> image -> the class's instances in that image: the draws
        # of one shot per image among all images holding a class
        self._refs_by_image: Dict[int, Dict[str, List[InstanceRef]]] = {}
        if support_pool == 'random' and one_support_shot_per_image:
            for label, refs in self.support_pool.by_label.items():
                by_image: Dict[str, List[InstanceRef]] = defaultdict(list)
                for ref in refs:
                    by_image[self.support_pool.img_paths[ref[0]]].append(ref)
                self._refs_by_image[label] = dict(by_image)
            self.support_pool.check_shots(
                num_support_shots, f'{owner} (one_support_shot_per_image, '
                'counting images)',
                lambda label: len(self._refs_by_image[label]))
        else:
            self.support_pool.check_shots(num_support_shots, owner)

    def _keep_first_instances(self) -> None:
        """Reduce the pool to the original toolbox's (``support_pool=
        'first'``): images in dataset order, instances in annotation order,
        an instance kept while its class has room, at most one per image
        with ``one_support_shot_per_image``. A class left without instances
        stays in the pool, empty, for the shot check to name it."""
        capacity = self.num_used_support_shots or math.inf
        kept: Dict[int, List[InstanceRef]] = {
            label: []
            for label in self.support_pool.by_label
        }
        refs_in_order = sorted(
            (ref, label) for label, refs in self.support_pool.by_label.items()
            for ref in refs)
        image_done = -1
        for (idx, instance_idx), label in refs_in_order:
            if idx == image_done or len(kept[label]) >= capacity:
                continue
            kept[label].append((idx, instance_idx))
            if self.one_support_shot_per_image:
                image_done = idx
        self.support_pool.by_label = kept

    def _limit_support_instances(self, num_used: int) -> None:
        rng = np.random.default_rng([self.seed, 2**31])
        for label, refs in self.support_pool.by_label.items():
            if len(refs) > num_used:
                kept = np.sort(rng.choice(len(refs), num_used, replace=False))
                self.support_pool.by_label[label] = [refs[i] for i in kept]

    @property
    def metainfo(self) -> dict:
        """The query dataset's meta information."""
        return self.query_dataset.metainfo

    def get_support_data_list(self) -> List[dict]:
        """The support instances this wrapper draws from, one item each.

        Query-support detectors copy them into their model-initialisation
        set (the exact instances of few-shot training).

        Returns:
            Items of ``support_dataset`` reduced to one instance each, label
            by label; labels index ``support_dataset.metainfo['classes']``.
        """
        return self.support_pool.data_list()

    def __len__(self) -> int:
        if self.mode == 'query':
            return len(self.query_dataset) * self.repeat_times
        return len(self.support_batches)

    def __getitem__(self, idx: int) -> Any:
        if self.mode == 'query':
            return _query_output(self.query_dataset,
                                 idx % len(self.query_dataset), 'query')
        return [
            self.support_pool.prepare(ref) for ref in self.support_batches[idx]
        ]

    def convert_query_to_support(self, support_dataset_len: int) -> None:
        """Switch this dataset to support mode with that many batches.

        Call it on a shallow copy (``copy.copy(dataset)``) to keep the
        query-mode dataset, as :func:`build_nway_kshot_dataloader` does.

        Args:
            support_dataset_len: Number of support batches, normally the
                number of query batches of one epoch on all processes.
        """
        _check_positive(
            type(self).__name__, support_dataset_len=support_dataset_len)
        self.mode = 'support'
        self.support_batches = [[] for _ in range(support_dataset_len)]
        self.shuffle_support()

    def shuffle_support(self) -> None:
        """Draw a new list of support batches (same length).

        The ``k``-th call (counting from 0 for the one in
        :meth:`convert_query_to_support`) draws from
        ``default_rng([seed, k])``.
        """
        if self.mode != 'support':
            raise RuntimeError(
                'shuffle_support needs a support-mode dataset: call '
                'convert_query_to_support first')
        rng = np.random.default_rng([self.seed, self._num_shuffles])
        self._num_shuffles += 1
        self.support_batches = [
            self._draw_batch(rng) for _ in range(len(self.support_batches))
        ]

    def _draw_batch(self, rng: np.random.Generator) -> List[InstanceRef]:
        labels = self.support_pool.labels
        ways = np.sort(
            rng.choice(len(labels), self.num_support_ways, replace=False))
        batch = []
        for way in ways:
            label = labels[way]
            if self._refs_by_image:
                # support_pool='random': an image, then one of its instances
                images = list(self._refs_by_image[label].values())
                chosen = rng.choice(
                    len(images), self.num_support_shots, replace=False)
                batch += [
                    images[i][rng.integers(len(images[i]))] for i in chosen
                ]
            else:
                refs = self.support_pool.by_label[label]
                chosen = rng.choice(
                    len(refs), self.num_support_shots, replace=False)
                batch += [refs[i] for i in chosen]
        return batch


@DATASETS.register_module()
class TwoBranchDataset(Dataset):
    """Main images and, separately, auxiliary instances (MPSR).

    The dataset has two modes:

    - ``'main'`` (as built): item ``i`` is the output of main image ``i``
      (its ``'main'`` pipeline or its only pipeline).
    - ``'auxiliary'`` (after :meth:`convert_main_to_auxiliary`): item ``i``
      is the output of the ``i``-th auxiliary instance (the auxiliary
      dataset's ``'auxiliary'`` pipeline or its only pipeline), i.e. the
      item holding it reduced to that one instance.

    Reweighting rule (``reweight_dataset=True``): every instance of class
    ``c`` is listed ``ceil(n_max / n_c)`` times, where ``n_c`` is the number
    of auxiliary instances of ``c`` and ``n_max`` that of the most frequent
    class, so each class gets about as many auxiliary items as the most
    frequent one (at least as many, at most ``n_c - 1`` more).

    Use :func:`build_two_branch_dataloader` to get the paired dataloader.

    Args:
        main_dataset: The main dataset or its config.
        auxiliary_dataset: The dataset of the auxiliary instances (or its
            config). ``None`` uses ``main_dataset``, which must then be
            built with ``multi_pipelines=dict(main=[...],
            auxiliary=[...])``.
        reweight_dataset: Repeat the auxiliary instances of rare classes
            as described above.
    """

    def __init__(self,
                 main_dataset: DatasetLike,
                 auxiliary_dataset: Optional[DatasetLike] = None,
                 reweight_dataset: bool = False) -> None:
        owner = type(self).__name__
        self.main_dataset, self.auxiliary_dataset = _build_pair(
            owner, main_dataset, auxiliary_dataset, ('main', 'auxiliary'))
        self.reweight_dataset = reweight_dataset
        self.mode = 'main'
        self.auxiliary_pool = _InstancePool(self.auxiliary_dataset,
                                            'auxiliary')
        if not self.auxiliary_pool.labels:
            raise ConfigError(f'{owner}: '
                              f'{_dataset_name(self.auxiliary_dataset)} has '
                              'no target instance for the auxiliary branch')
        self.auxiliary_refs: List[InstanceRef] = []
        max_count = max(
            self.auxiliary_pool.count(label)
            for label in self.auxiliary_pool.labels)
        for label, refs in self.auxiliary_pool.by_label.items():
            repeats = math.ceil(max_count / len(refs)) \
                if reweight_dataset else 1
            self.auxiliary_refs += refs * repeats

    @property
    def metainfo(self) -> dict:
        """The main dataset's meta information."""
        return self.main_dataset.metainfo

    def __len__(self) -> int:
        if self.mode == 'main':
            return len(self.main_dataset)
        return len(self.auxiliary_refs)

    def __getitem__(self, idx: int) -> Any:
        if self.mode == 'main':
            return _query_output(self.main_dataset, idx, 'main')
        return self.auxiliary_pool.prepare(self.auxiliary_refs[idx])

    def get_data_info(self, idx: int) -> dict:
        """The annotation of item ``idx`` (whose ``width`` and ``height``
        mmdet's ``AspectRatioBatchSampler`` reads): main image ``idx``, or
        in auxiliary mode the ``idx``-th auxiliary instance's item reduced
        to it."""
        if self.mode == 'main':
            return self.main_dataset.get_data_info(idx)
        return self.auxiliary_pool.data_info(self.auxiliary_refs[idx])

    def convert_main_to_auxiliary(self) -> None:
        """Switch this dataset to auxiliary mode.

        Call it on a shallow copy (``copy.copy(dataset)``) to keep the
        main-mode dataset, as :func:`build_two_branch_dataloader` does.
        """
        self.mode = 'auxiliary'
