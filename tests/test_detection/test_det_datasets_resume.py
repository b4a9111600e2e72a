"""The paired detection dataloaders skip to an iteration without loading
data, and go on exactly as a run that loaded every batch."""
import numpy as np
import pytest
from mmcv.transforms import BaseTransform

from mmfewshot.detection.datasets import (FewShotVOCCopyDataset,
                                          build_nway_kshot_dataloader,
                                          build_two_branch_dataloader)
from mmfewshot.detection.registry import TRANSFORMS

CLASSES = ('a', 'b', 'c')
# image -> labels of its instances
IMAGES = [[0, 1], [2], [0, 2], [1], [1, 2, 0], [0], [2, 1], [1, 0], [2]]


@TRANSFORMS.register_module(force=True)
class CountedRandomTag(BaseTransform):
    """Tags an item with a random number (an augmentation) and counts the
    items it sees."""

    calls = 0

    def transform(self, results):
        type(self).calls += 1
        return dict(img_id=results['img_id'], tag=float(np.random.rand()))


def toy_dataset(**kwargs):
    items = [
        dict(
            img_path=f'img_{index}.jpg',
            img_id=index,
            height=10,
            width=40,
            instances=[
                dict(
                    bbox=[4.0 * k, 1.0, 4.0 * k + 3, 8.0],
                    bbox_label=label,
                    ignore_flag=0) for k, label in enumerate(labels)
            ]) for index, labels in enumerate(IMAGES)
    ]
    return FewShotVOCCopyDataset(
        classes=CLASSES,
        ann_cfg=[dict(data_list=items)],
        pipeline=[dict(type='CountedRandomTag')],
        **kwargs)


def summary(batch):
    """What a paired batch holds: per loader, its images and tags."""
    return {
        key: list(zip(value['img_id'], value['tag']))
        for key, value in batch.items()
    }


def stream(loader, num_batches):
    """``num_batches`` batches, restarting passes as mmengine's loop does."""
    batches = []
    iterator = iter(loader)
    while len(batches) < num_batches:
        try:
            batches.append(summary(next(iterator)))
        except StopIteration:
            iterator = iter(loader)
    return batches


def paired_config(dataset, **loader_options):
    """A loader config of 2 images a batch, reshuffled every pass."""
    return dict(
        batch_size=2,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dataset,
        **loader_options)


def nway_kshot_loader(**loader_options):
    return build_nway_kshot_dataloader(
        paired_config(
            dict(
                type='NWayKShotDataset',
                query_dataset=toy_dataset(),
                support_dataset=toy_dataset(instance_wise=True),
                num_support_ways=2,
                num_support_shots=1), **loader_options),
        seed=0)


def two_branch_loader():
    return build_two_branch_dataloader(
        paired_config(
            dict(
                type='TwoBranchDataset',
                main_dataset=toy_dataset(),
                auxiliary_dataset=toy_dataset(instance_wise=True))),
        seed=0)


@pytest.mark.parametrize('build', [nway_kshot_loader, two_branch_loader])
@pytest.mark.parametrize('skipped', [0, 3, 5, 10, 11])
def test_fast_forward_continues_the_stream(build, skipped):
    # 9 images in batches of 2: passes of 5 batches; 5 and 10 are pass ends
    whole = build()
    whole.set_seed(3)
    expected = stream(whole, 14)
    resumed = build()
    resumed.set_seed(3)
    CountedRandomTag.calls = 0
    assert resumed.fast_forward(skipped)
    assert CountedRandomTag.calls == 0
    assert stream(resumed, 14 - skipped) == expected[skipped:]


def test_nway_kshot_with_unpaired_support_batches_is_not_fast_forwarded():
    loader = nway_kshot_loader(support_dataloader=dict(batch_size=2))
    assert not loader.fast_forward(3)
