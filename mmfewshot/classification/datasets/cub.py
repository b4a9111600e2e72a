"""CUB-200-2011 with the 100 / 50 / 50 class split of few-shot papers."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from mmfewshot.classification.registry import DATASETS
from mmfewshot.utils.errors import ConfigError, DataError
from .base import BaseFewShotDataset, NamedSample
from .utils import list_class_folders, parse_subsets

NUM_CUB_CLASSES = 200


def split_cub_classes(
        class_names: Sequence[str],
        class_split: str = 'interleaved',
        classes_id_seed: Optional[int] = None) -> Dict[str, List[str]]:
    """Split the 200 CUB classes into 100 train, 50 val and 50 test.

    Args:
        class_names: The 200 class folders in sorted order.
        class_split: ``'interleaved'`` (Chen et al., "A Closer Look at
            Few-shot Classification", ICLR 2019, followed by most CUB
            few-shot results): position ``i`` goes to train when
            ``i % 2 == 0``, to val when ``i % 4 == 1`` and to test when
            ``i % 4 == 3``. ``'contiguous'``: the first 100 classes train,
            the next 50 val, the last 50 test.
        classes_id_seed: When not ``None``, the classes are shuffled with
            ``numpy.random.default_rng(classes_id_seed)`` before splitting.

    Returns:
        ``{'train': [...], 'val': [...], 'test': [...]}``.
    """
    order = list(class_names)
    if classes_id_seed is not None:
        permutation = np.random.default_rng(classes_id_seed).permutation(
            len(order))
        order = [order[i] for i in permutation]
    if class_split == 'interleaved':
        return dict(train=order[0::2], val=order[1::4], test=order[3::4])
    if class_split == 'contiguous':
        return dict(train=order[:100], val=order[100:150], test=order[150:])
    raise ConfigError(f"CUBDataset: unknown class_split {class_split!r}; use "
                      "'interleaved' or 'contiguous'")


@DATASETS.register_module()
class CUBDataset(BaseFewShotDataset):
    """Caltech-UCSD Birds-200-2011 for few-shot classification.

    Images are read from ``data_prefix/CUB_200_2011/images/`` or, when
    ``data_prefix`` is the ``CUB_200_2011`` folder itself,
    ``data_prefix/images/``: 200 class folders such as
    ``001.Black_footed_Albatross`` holding ``*.jpg``. The class of an image
    is its folder name. See :func:`split_cub_classes` for the split.

    Args:
        data_prefix: The folder holding ``CUB_200_2011`` (or that folder).
        subset: ``'train'``, ``'val'``, ``'test'`` or a list of them.
        pipeline: Transforms applied to every record.
        classes: A subset of the split's class folders (list or file);
            ``None`` uses all classes of ``subset``.
        classes_id_seed: Seed shuffling the classes before the split;
            ``None`` keeps the sorted folder order.
        class_split: ``'interleaved'`` (default) or ``'contiguous'``.
        **kwargs: Other arguments of :class:`BaseFewShotDataset`.
    """

    SUBSETS = ('train', 'val', 'test')

    def __init__(self,
                 data_prefix: str,
                 subset: Union[str, Sequence[str]] = 'train',
                 pipeline: Sequence = (),
                 classes: Union[str, Sequence[str], None] = None,
                 classes_id_seed: Optional[int] = None,
                 class_split: str = 'interleaved',
                 **kwargs) -> None:
        self.subset = parse_subsets(subset, self.SUBSETS, type(self).__name__)
        self.classes_id_seed = classes_id_seed
        self.class_split = class_split
        super().__init__(
            data_prefix=data_prefix,
            pipeline=pipeline,
            classes=classes,
            **kwargs)

    @property
    def images_dir(self) -> str:
        """The folder holding the 200 class folders."""
        nested = osp.join(self.img_prefix, 'CUB_200_2011', 'images')
        direct = osp.join(self.img_prefix, 'images')
        if osp.isdir(nested) or not osp.isdir(direct):
            return nested
        return direct

    def load_data_list(self) -> List[dict]:
        """List the images of the classes of ``subset``."""
        images_dir = self.images_dir
        if not osp.isdir(images_dir):
            raise FileNotFoundError(
                f'CUBDataset: found neither {images_dir} nor '
                f'{osp.join(self.img_prefix, "images")}')
        folders = list_class_folders(images_dir)
        if len(folders) != NUM_CUB_CLASSES:
            raise DataError(f'CUBDataset: {images_dir} has {len(folders)} '
                            f'class folders, expected {NUM_CUB_CLASSES}')
        splits = split_cub_classes(folders, self.class_split,
                                   self.classes_id_seed)
        split_classes = [
            name for split in self.subset for name in splits[split]
        ]
        samples: List[NamedSample] = []
        for class_name in split_classes:
            class_dir = osp.join(images_dir, class_name)
            for path in self.scan_class_folder(class_dir, ('.jpg', )):
                samples.append((class_name, dict(img_path=path), path))
        self.report_skipped_files(images_dir)
        return self.label_by_class_name(
            samples, split_classes, source=images_dir)
