"""Sampling wrappers and paired dataloaders of few-shot detection.

Two kinds of data: ``ToyDetDataset``, a plain mmdet dataset with an
identity pipeline (its outputs are the items themselves, so the sampled
images and instances can be read off directly), and a tiny VOCdevkit read by
``FewShotVOCDataset`` with real image pipelines.
"""
import copy
import os
import os.path as osp
from collections import Counter

import numpy as np
import pytest
import torch
from mmdet.datasets import BaseDetDataset
from mmdet.datasets.transforms import PackDetInputs
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from PIL import Image

from mmfewshot.detection.datasets import (
    FewShotVOCDataset, NWayKShotDataloader, NWayKShotDataset,
    QueryAwareDataset, TwoBranchDataloader, TwoBranchDataset,
    build_fewshot_dataloader, build_nway_kshot_dataloader,
    build_two_branch_dataloader)
from mmfewshot.detection.registry import DATASETS

CLASSES = ('a', 'b', 'c', 'd')
PACK = PackDetInputs(meta_keys=('img_id', 'img_path'))
# image -> labels of its instances; label 3 (d) is ignored in img_1
TOY_IMAGES = [
    [0, 1],
    [1, 3],
    [2, 0, 0],
    [3, 2],
    [0],
    [1, 2, 3],
    [2],
    [3, 0],
]


class ToyDetDataset(BaseDetDataset):
    """An mmdet dataset whose items are generated, not read."""

    METAINFO = dict(classes=CLASSES)

    def __init__(self, images=TOY_IMAGES, instance_wise=False, **kwargs):
        self.images = images
        self.instance_wise = instance_wise
        kwargs.setdefault('pipeline', [])
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        data_list = []
        for idx, labels in enumerate(self.images):
            instances = [
                dict(
                    bbox=[4.0 * k, 2.0, 4.0 * k + 3, 6.0],
                    bbox_label=label,
                    ignore_flag=int(idx == 1 and label == 3))
                for k, label in enumerate(labels)
            ]
            items = [[i] for i in instances] if self.instance_wise \
                else [instances]
            data_list += [
                dict(
                    img_path=f'img_{idx}.jpg',
                    img_id=idx,
                    height=8,
                    width=40,
                    instances=group) for group in items
            ]
        return data_list


def _label(output):
    """The single label of an identity-pipeline output."""
    labels = {instance['bbox_label'] for instance in output['instances']}
    assert len(labels) == 1
    return labels.pop()


def _instance_key(output):
    assert len(output['instances']) == 1
    return output['img_path'], tuple(output['instances'][0]['bbox'])


# ------------------------------------------------------ QueryAwareDataset


@pytest.mark.parametrize('instance_wise_support', [False, True])
def test_query_aware_structure(instance_wise_support):
    dataset = QueryAwareDataset(
        ToyDetDataset(),
        ToyDetDataset(instance_wise=instance_wise_support),
        num_support_ways=3,
        num_support_shots=2,
        repeat_times=2,
        seed=0)
    # every toy image has a target instance
    assert len(dataset) == 2 * len(TOY_IMAGES)
    query_labels = Counter()
    for idx in range(len(dataset)):
        item = dataset[idx]
        query = item['query_data']
        assert query['img_path'] == f'img_{idx % len(TOY_IMAGES)}.jpg'
        query_label = _label(query)
        query_labels[query_label] += 1
        support = item['support_data']
        assert len(support) == 3 * 2
        ways = [_label(s) for s in support]
        assert ways[0::2] == ways[1::2]  # 2 shots per way, way by way
        assert ways[0] == query_label
        assert len(set(ways[0::2])) == 3
        keys = [_instance_key(s) for s in support]
        assert len(set(keys)) == 6
        # every class has instances in >= 3 other images: never the query's
        assert all(path != query['img_path'] for path, _ in keys)
        for s in support:
            assert s['instances'][0]['ignore_flag'] == 0
    # the chosen query class varies over images with several classes
    assert len(query_labels) == 4


def test_query_aware_same_image_only_when_unavoidable():
    # class 1 ('b') occurs in img_0 and img_1 only
    images = [[1, 0], [1, 2], [0, 2], [0, 2]]
    support = ToyDetDataset(images=images)
    dataset = QueryAwareDataset(
        ToyDetDataset(images=images[:1]),
        support,
        num_support_ways=1,
        num_support_shots=1,
        seed=3,
        repeat_times=20)
    paths = {
        dataset[i]['support_data'][0]['img_path']
        for i in range(len(dataset)) if _label(dataset[i]['query_data']) == 1
    }
    assert paths == {'img_1.jpg'}
    dataset = QueryAwareDataset(
        ToyDetDataset(images=images[:1]),
        support,
        num_support_ways=1,
        num_support_shots=2,
        seed=3,
        repeat_times=20)
    for i in range(len(dataset)):
        item = dataset[i]
        if _label(item['query_data']) == 1:
            # two shots of 'b' exist: one of them is in the query image
            assert sorted(s['img_path'] for s in item['support_data']) == [
                'img_0.jpg', 'img_1.jpg'
            ]


def test_query_aware_seeding():

    def items(seed):
        dataset = QueryAwareDataset(
            ToyDetDataset(),
            ToyDetDataset(),
            num_support_ways=2,
            num_support_shots=1,
            seed=seed)
        return [[_instance_key(s) for s in dataset[i]['support_data']] +
                [_label(dataset[i]['query_data'])]
                for i in range(len(dataset))]

    assert items(5) == items(5)
    assert items(5) != items(6)
    # a seeded item does not depend on the order items are loaded in
    dataset = QueryAwareDataset(
        ToyDetDataset(),
        ToyDetDataset(),
        num_support_ways=2,
        num_support_shots=1,
        seed=5)
    backwards = [[_instance_key(s) for s in dataset[i]['support_data']]
                 for i in reversed(range(len(dataset)))]
    assert [item[:2] for item in items(5)] == backwards[::-1]

    # without a seed the draws follow numpy's global random state
    def unseeded(global_seed):
        np.random.seed(global_seed)
        return items(None)

    assert unseeded(1) == unseeded(1)
    assert unseeded(1) != unseeded(2)


def test_query_aware_errors():
    with pytest.raises(ValueError, match='num_support_ways=5 but only 4'):
        QueryAwareDataset(ToyDetDataset(), ToyDetDataset(), num_support_ways=5)
    with pytest.raises(ValueError, match="num_support_shots=4.*'b' \\(3\\)"):
        QueryAwareDataset(
            ToyDetDataset(), ToyDetDataset(), num_support_shots=4)
    with pytest.raises(ValueError, match='multi_pipelines'):
        QueryAwareDataset(ToyDetDataset())


# ------------------------------------------------------- NWayKShotDataset


def test_nway_kshot_query_and_support_modes():
    dataset = NWayKShotDataset(
        ToyDetDataset(),
        ToyDetDataset(instance_wise=True),
        num_support_ways=3,
        num_support_shots=2,
        repeat_times=3,
        seed=0)
    assert dataset.mode == 'query'
    assert len(dataset) == 3 * len(TOY_IMAGES)
    assert dataset[len(TOY_IMAGES) + 2]['img_path'] == 'img_2.jpg'
    assert dataset.metainfo['classes'] == CLASSES

    support = copy.copy(dataset)
    support.convert_query_to_support(7)
    assert dataset.mode == 'query' and support.mode == 'support'
    assert len(support) == 7
    for idx in range(len(support)):
        batch = support[idx]
        assert len(batch) == 3 * 2
        labels = [_label(s) for s in batch]
        assert labels[0::2] == labels[1::2]
        assert labels[0::2] == sorted(set(labels))  # distinct, ascending
        assert len({_instance_key(s) for s in batch}) == 6

    def batches(ds):
        return [[_instance_key(s) for s in ds[i]] for i in range(len(ds))]

    first = batches(support)
    support.shuffle_support()
    second = batches(support)
    assert first != second and len(second) == 7
    # the same seed reproduces the sequence of support batch lists
    again = copy.copy(dataset)
    again.convert_query_to_support(7)
    assert batches(again) == first
    again.shuffle_support()
    assert batches(again) == second
    other_seed = NWayKShotDataset(
        ToyDetDataset(),
        ToyDetDataset(instance_wise=True),
        num_support_ways=3,
        num_support_shots=2,
        seed=1)
    other_seed.convert_query_to_support(7)
    assert batches(other_seed) != first


def _used_instances(dataset, num_batches):
    """(label, instance) of every support instance of ``num_batches``
    batches, with how often it was drawn."""
    dataset.convert_query_to_support(num_batches)
    used = Counter()
    for idx in range(len(dataset)):
        for output in dataset[idx]:
            used[(_label(output), _instance_key(output))] += 1
    return used


def _toy_instance(image, position):
    """The key of instance ``position`` of toy image ``image``."""
    return f'img_{image}.jpg', (4.0 * position, 2.0, 4.0 * position + 3, 6.0)


def test_nway_kshot_one_shot_per_image_keeps_the_originals_pool():
    # The original toolbox goes through the images in order and keeps the
    # first instance whose class still has room: img_0 [a, b] gives a,
    # img_1 [b, d (ignored)] b, img_2 [c, a, a] c, img_3 [d, c] d, img_4 [a]
    # a, img_5 [b, c, d] b, img_6 [c] c, img_7 [d, a] d. The instances a of
    # img_2 and img_7 are never used (our earlier draw of an image, then
    # one of its instances, used them: this test failed on it).
    expected_pool = {
        0: [(0, 0), (4, 0)],
        1: [(1, 0), (5, 0)],
        2: [(2, 0), (6, 0)],
        3: [(3, 0), (7, 0)]
    }
    dataset = NWayKShotDataset(
        ToyDetDataset(),
        ToyDetDataset(),
        num_support_ways=4,
        num_support_shots=2,
        one_support_shot_per_image=True,
        seed=0)
    assert dataset.support_pool.by_label == expected_pool
    used = _used_instances(copy.copy(dataset), 20)
    assert set(used) == {(label, _toy_instance(*ref))
                         for label, refs in expected_pool.items()
                         for ref in refs}
    # the model-initialisation set is the pool, label by label
    assert [(item['img_path'], item['instances'][0]['bbox_label'])
            for item in dataset.get_support_data_list()] == [
                (f'img_{image}.jpg', label)
                for label, refs in expected_pool.items() for image, _ in refs
            ]

    # with room for one instance a class: img_0 gives a, img_1 b, img_2 c,
    # img_3 d; the later images have no class with room left
    dataset = NWayKShotDataset(
        ToyDetDataset(),
        ToyDetDataset(),
        num_support_ways=4,
        one_support_shot_per_image=True,
        num_used_support_shots=1)
    assert dataset.support_pool.by_label == {
        0: [(0, 0)],
        1: [(1, 0)],
        2: [(2, 0)],
        3: [(3, 0)]
    }
    # a class that every image gives up for an earlier one is named
    with pytest.raises(ValueError, match="num_support_shots=1.*'b' \\(0\\)"):
        NWayKShotDataset(
            ToyDetDataset(images=[[0, 1], [0, 1], [2], [3]]),
            ToyDetDataset(images=[[0, 1], [0, 1], [2], [3]]),
            num_support_ways=2,
            one_support_shot_per_image=True)


def test_nway_kshot_num_used_support_shots_keeps_the_first_instances():
    # a: img_0, img_2 (twice), img_4, img_7; the first two are img_0's and
    # the first of img_2 (the seeded subset of support_pool='random' drew
    # others: this test failed on it)
    dataset = NWayKShotDataset(
        ToyDetDataset(),
        ToyDetDataset(),
        num_support_ways=4,
        num_used_support_shots=2)
    assert dataset.support_pool.by_label == {
        0: [(0, 0), (2, 1)],
        1: [(0, 1), (1, 0)],
        2: [(2, 0), (3, 1)],
        3: [(3, 0), (5, 2)]
    }


def test_nway_kshot_random_support_pool():
    # one shot per image, drawn among all images holding the class: the
    # instances a of img_2 are used too
    dataset = NWayKShotDataset(
        ToyDetDataset(),
        ToyDetDataset(),
        num_support_ways=4,
        num_support_shots=3,
        one_support_shot_per_image=True,
        support_pool='random',
        seed=0)
    used = _used_instances(copy.copy(dataset), 30)
    assert (0, _toy_instance(2, 1)) in used or (0, _toy_instance(2, 2)) \
        in used
    dataset.convert_query_to_support(30)
    for idx in range(len(dataset)):
        batch = dataset[idx]
        for way in range(4):
            shots = batch[3 * way:3 * way + 3]
            assert len({s['img_path'] for s in shots}) == 3

    dataset = NWayKShotDataset(
        ToyDetDataset(),
        ToyDetDataset(),
        num_support_ways=4,
        num_support_shots=1,
        num_used_support_shots=2,
        support_pool='random',
        seed=0)
    used = _used_instances(dataset, 60)
    per_class = Counter(label for label, _ in used)
    assert per_class == {0: 2, 1: 2, 2: 2, 3: 2}

    with pytest.raises(ValueError, match="counting images.*'a' \\(4\\)"):
        NWayKShotDataset(
            ToyDetDataset(),
            ToyDetDataset(),
            num_support_ways=2,
            num_support_shots=5,
            one_support_shot_per_image=True,
            support_pool='random')
    with pytest.raises(ValueError, match="support_pool must be one of"):
        NWayKShotDataset(
            ToyDetDataset(), ToyDetDataset(), support_pool='seeded')
    with pytest.raises(RuntimeError, match='convert_query_to_support'):
        NWayKShotDataset(ToyDetDataset(), ToyDetDataset()).shuffle_support()


def test_nway_kshot_builder_seeds_the_support_draws():

    def support_images(seed):
        loader = build_nway_kshot_dataloader(
            dict(
                batch_size=4,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    type='NWayKShotDataset',
                    query_dataset=ToyDetDataset(pipeline=[PACK]),
                    support_dataset=ToyDetDataset(pipeline=[PACK]),
                    num_support_ways=2,
                    num_support_shots=2)),
            seed=seed)
        assert loader.support_data_loader.dataset.seed == seed
        return [[d.img_path for d in data['support_data']['data_samples']]
                for _ in range(2) for data in loader]

    np.random.seed(0)
    first = support_images(7)
    np.random.seed(1)  # the global state does not matter with a seed
    assert support_images(7) == first
    assert support_images(8) != first


# ------------------------------------------------------- TwoBranchDataset


def test_two_branch_modes_and_reweighting():
    # instances per class: a 5, b 3, c 4, d 3 (one d of img_1 is ignored)
    dataset = TwoBranchDataset(ToyDetDataset(), ToyDetDataset())
    assert len(dataset) == len(TOY_IMAGES)
    assert dataset[3]['img_path'] == 'img_3.jpg'
    auxiliary = copy.copy(dataset)
    auxiliary.convert_main_to_auxiliary()
    assert len(auxiliary) == 5 + 3 + 4 + 3
    assert len(dataset) == len(TOY_IMAGES)
    assert Counter(_label(auxiliary[i]) for i in range(len(auxiliary))) == \
        {0: 5, 1: 3, 2: 4, 3: 3}

    reweighted = TwoBranchDataset(
        ToyDetDataset(), ToyDetDataset(), reweight_dataset=True)
    reweighted.convert_main_to_auxiliary()
    # ceil(5 / n): a x1, b x2, c x2, d x2
    assert Counter(_label(reweighted[i]) for i in range(len(reweighted))) \
        == {0: 5, 1: 6, 2: 8, 3: 6}


# ---------------------------------------------- VOC data and dataloaders

VOC_CLASSES = ['bird', 'bus', 'cow', 'dog', 'person']
VOC_IMAGES = {
    '000001': [('bird', (2, 3, 20, 20)), ('person', (10, 4, 30, 22))],
    '000002': [('bus', (1, 1, 31, 23)), ('bird', (5, 5, 15, 15))],
    '000003': [('dog', (3, 4, 20, 20)), ('cow', (18, 2, 31, 22))],
    '000004': [('person', (5, 5, 25, 20)), ('dog', (2, 2, 12, 12))],
    '000005': [('cow', (4, 4, 24, 20))],
    '000006': [('bus', (2, 3, 28, 21)), ('person', (20, 2, 30, 20))],
}


@pytest.fixture
def voc_root(tmp_path):
    root = tmp_path / 'VOC2007'
    for folder in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        os.makedirs(root / folder)
    for index, (img_id, objects) in enumerate(VOC_IMAGES.items()):
        Image.new('RGB', (32, 24), (30 * index, 90, 150)).save(
            root / 'JPEGImages' / f'{img_id}.jpg')
        xml = ''.join(
            f'<object><name>{name}</name><difficult>0</difficult><bndbox>'
            f'<xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax>'
            f'<ymax>{b[3]}</ymax></bndbox></object>' for name, b in objects)
        (root / 'Annotations' / f'{img_id}.xml').write_text(
            f'<annotation><size><width>32</width><height>24</height></size>'
            f'{xml}</annotation>')
    (root / 'ImageSets/Main/trainval.txt').write_text(''.join(
        f'{img_id}\n' for img_id in VOC_IMAGES))
    return str(root)


def _pipeline(*transforms):
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True), *transforms,
        dict(
            type='PackDetInputs',
            meta_keys=('img_id', 'img_path', 'img_shape'))
    ]


QUERY_PIPELINE = _pipeline(
    dict(type='Resize', scale=(40, 30), keep_ratio=True))
SUPPORT_PIPELINE = _pipeline(
    dict(
        type='CropResizeInstance', num_context_pixels=2, target_size=(16, 16)))


def _voc_dataset(voc_root, **kwargs):
    return dict(
        type='FewShotVOCDataset',
        ann_cfg=[
            dict(
                type='ann_file',
                ann_file=osp.join(voc_root, 'ImageSets/Main/trainval.txt'))
        ],
        classes=VOC_CLASSES,
        **kwargs)


def _labels(data_samples):
    return [int(s.gt_instances.labels[0]) for s in data_samples]


def test_query_aware_with_voc_multi_pipelines(voc_root):
    dataset = DATASETS.build(
        dict(
            type='QueryAwareDataset',
            query_dataset=_voc_dataset(
                voc_root,
                multi_pipelines=dict(
                    query=QUERY_PIPELINE, support=SUPPORT_PIPELINE)),
            num_support_ways=3,
            num_support_shots=1,
            seed=0))
    assert isinstance(dataset.query_dataset, FewShotVOCDataset)
    assert len(dataset) == len(VOC_IMAGES)
    for idx in range(len(dataset)):
        item = dataset[idx]
        query = item['query_data']
        assert query['inputs'].shape == (3, 30, 40)
        query_labels = query['data_samples'].gt_instances.labels.tolist()
        support = item['support_data']
        assert [s['inputs'].shape for s in support] == [(3, 16, 16)] * 3
        support_labels = _labels(s['data_samples'] for s in support)
        assert set(query_labels) == {support_labels[0]}
        assert len(set(support_labels)) == 3
        # every class has instances in two images or more: never the query's
        query_path = query['data_samples'].img_path
        assert all(s['data_samples'].img_path != query_path for s in support)


@pytest.mark.parametrize('support_workers', [0, 1])
def test_nway_kshot_dataloader(voc_root, support_workers):
    # with a worker process the reshuffled batches must reach the worker
    cfg = dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='NWayKShotDataset',
            query_dataset=_voc_dataset(voc_root, pipeline=QUERY_PIPELINE),
            support_dataset=_voc_dataset(
                voc_root, pipeline=SUPPORT_PIPELINE, instance_wise=True),
            num_support_ways=3,
            num_support_shots=1,
            seed=4),
        support_dataloader=dict(num_workers=support_workers))
    loader = build_nway_kshot_dataloader(cfg, seed=0)
    assert isinstance(loader, NWayKShotDataloader)
    assert len(loader) == 3
    assert loader.dataset.metainfo['classes'] == tuple(VOC_CLASSES)
    assert loader.support_data_loader.dataset.mode == 'support'
    assert len(loader.support_data_loader.dataset) == 3

    def epoch(loader):
        support_labels = []
        for data in loader:
            assert set(data) == {'query_data', 'support_data'}
            query, support = data['query_data'], data['support_data']
            assert len(query['inputs']) == 2
            assert [d.img_id for d in query['data_samples']] != []
            assert len(support['inputs']) == 3
            assert all(t.shape == (3, 16, 16) for t in support['inputs'])
            labels = _labels(support['data_samples'])
            assert labels == sorted(set(labels))
            support_labels.append([
                (d.img_path, label)
                for d, label in zip(support['data_samples'], labels)
            ])
        return support_labels

    first, second = epoch(loader), epoch(loader)
    assert len(first) == len(second) == 3
    assert first != second  # reshuffled between epochs
    rebuilt = build_nway_kshot_dataloader(cfg, seed=0)
    assert epoch(rebuilt) == first and epoch(rebuilt) == second
    # the query order follows the (unshuffled) sampler
    ids = [
        d.img_id for data in loader for d in data['query_data']['data_samples']
    ]
    assert ids == list(VOC_IMAGES)


def test_two_branch_dataloader(voc_root):
    cfg = dict(
        batch_size=3,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='TwoBranchDataset',
            main_dataset=_voc_dataset(
                voc_root,
                multi_pipelines=dict(
                    main=QUERY_PIPELINE, auxiliary=SUPPORT_PIPELINE))),
        auxiliary_dataloader=dict(
            batch_size=4, sampler=dict(type='InfiniteSampler', shuffle=False)))
    loader = build_two_branch_dataloader(cfg, seed=0)
    assert isinstance(loader, TwoBranchDataloader)
    assert len(loader) == 2  # 6 images, batches of 3
    auxiliary = []
    for _ in range(3):  # three epochs
        main_ids = []
        for data in loader:
            assert set(data) == {'main_data', 'auxiliary_data'}
            main_ids += [d.img_id for d in data['main_data']['data_samples']]
            batch = data['auxiliary_data']
            assert [t.shape for t in batch['inputs']] == [(3, 16, 16)] * 4
            auxiliary += [(d.img_id, int(d.gt_instances.labels[0]))
                          for d in batch['data_samples']]
        assert main_ids == list(VOC_IMAGES)
    # 11 instances, listed by label; the stream runs on across epochs
    # instead of restarting with the main loader
    instances = sorted(((img_id, VOC_CLASSES.index(name))
                        for img_id, objects in VOC_IMAGES.items()
                        for name, _ in objects),
                       key=lambda ref: ref[1])
    assert len(auxiliary) == 24
    assert auxiliary == (instances * 3)[:24]


def test_build_fewshot_dataloader_dispatch(voc_root):
    plain = build_fewshot_dataloader(
        dict(
            batch_size=2,
            sampler=dict(type='InfiniteSampler', shuffle=True, seed=1),
            dataset=_voc_dataset(voc_root, pipeline=QUERY_PIPELINE)))
    assert isinstance(plain, torch.utils.data.DataLoader)
    assert len(next(iter(plain))['inputs']) == 2
    paired = build_fewshot_dataloader(
        dict(
            batch_size=1,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='TwoBranchDataset',
                main_dataset=_voc_dataset(voc_root, pipeline=QUERY_PIPELINE),
                auxiliary_dataset=_voc_dataset(
                    voc_root, pipeline=SUPPORT_PIPELINE))),
        seed=0)
    assert isinstance(paired, TwoBranchDataloader)
    paired.sampler.set_epoch(1)  # what the runner's seed hook does
    assert build_fewshot_dataloader(paired) is paired
    with pytest.raises(KeyError, match='needs a sampler'):
        build_fewshot_dataloader(
            dict(
                batch_size=1,
                dataset=_voc_dataset(voc_root, pipeline=QUERY_PIPELINE)))
    with pytest.raises(TypeError, match='needs a NWayKShotDataset'):
        build_nway_kshot_dataloader(
            dict(
                batch_size=1,
                sampler=dict(type='DefaultSampler'),
                dataset=_voc_dataset(voc_root, pipeline=QUERY_PIPELINE)))


class _CountingModel(BaseModel):
    """Records the structure of every training batch it gets."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen = []

    def forward(self, query_data, support_data, mode='loss'):
        self.seen.append(
            (len(query_data['data_samples']),
             len(support_data['data_samples']),
             sorted({d.img_path
                     for d in support_data['data_samples']})))
        return dict(loss=self.weight.sum() * 0)


def test_runner_trains_with_nway_kshot_dataloader(tmp_path):
    loader = build_nway_kshot_dataloader(
        dict(
            batch_size=3,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='NWayKShotDataset',
                query_dataset=ToyDetDataset(pipeline=[PACK]),
                support_dataset=ToyDetDataset(
                    instance_wise=True, pipeline=[PACK]),
                num_support_ways=2,
                num_support_shots=2,
                seed=0)),
        seed=0)
    model = _CountingModel()
    # the runner sets a default scope; keep it from leaking into other tests
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        runner = Runner(
            model=model,
            work_dir=str(tmp_path),
            train_dataloader=loader,
            train_cfg=dict(by_epoch=True, max_epochs=2),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            default_hooks=dict(checkpoint=None),
            randomness=dict(seed=0),
            default_scope='mmfewshot_det')
        runner.train()
    assert runner.iter == 6  # 8 query images in batches of 3, two epochs
    assert [num_queries for num_queries, _, _ in model.seen] == [3, 3, 2] * 2
    assert all(num_support == 4 for _, num_support, _ in model.seen)
    supports = [images for _, _, images in model.seen]
    assert supports[:3] != supports[3:]  # reshuffled for the second epoch
