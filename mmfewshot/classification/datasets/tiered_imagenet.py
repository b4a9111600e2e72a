"""tieredImageNet (Ren et al., ICLR 2018), pickled or unpacked."""
import bisect
import os.path as osp
import pickle
from typing import Any, Dict, List, Sequence, Tuple, Union

import numpy as np

from mmfewshot.classification.registry import DATASETS
from mmfewshot.utils.errors import DataError
from .base import BaseFewShotDataset, NamedSample
from .utils import list_class_folders, parse_subsets

CLASSES_FILE = 'classes.txt'


def _byte_length(item: Any) -> int:
    return item.size if isinstance(item, np.ndarray) else len(item)


def as_png_bytes(item: Any) -> memoryview:
    """The encoded bytes of one pickled image, without copying.

    The release pickles hold byte strings, or ``uint8`` arrays as returned
    by ``cv2.imencode``; Python 2 pickles read with ``encoding='latin1'``
    give ``str``, which latin-1 maps back to the same bytes.
    """
    if isinstance(item, str):
        return memoryview(item.encode('latin1'))
    if isinstance(item, np.ndarray):
        return memoryview(np.ascontiguousarray(item, np.uint8).reshape(-1))
    return memoryview(item)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _load_pickle(path: str) -> Any:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'TieredImageNetDataset: {path} does not exist')
    with open(path, 'rb') as pickle_file:
        # latin1 reads the Python 2 pickles of the release (numpy arrays
        # included) and is ignored by Python 3 pickles.
        try:
            return pickle.load(pickle_file, encoding='latin1')
        except (pickle.UnpicklingError, EOFError, ValueError) as error:
            raise DataError(f'TieredImageNetDataset: {path} is not a '
                            f'readable pickle: {error!r}') from error


def load_pickled_split(data_root: str,
                       split: str) -> Tuple[Any, np.ndarray, List[str]]:
    """Read ``{split}_images_png.pkl`` and ``{split}_labels.pkl``.

    Returns:
        The sequence of encoded images, the class id of every image
        (``label_specific``) and the class names (``label_specific_str``).
    """
    images_path = osp.join(data_root, f'{split}_images_png.pkl')
    labels_path = osp.join(data_root, f'{split}_labels.pkl')
    images = _load_pickle(images_path)
    label_info = {
        _text(key): value
        for key, value in _load_pickle(labels_path).items()
    }
    for key in ('label_specific', 'label_specific_str'):
        if key not in label_info:
            raise DataError(f'{labels_path} has no key {key!r}; found '
                            f'{sorted(label_info)}')
    labels = np.asarray(label_info['label_specific'], dtype=np.int64)
    class_names = [_text(name) for name in label_info['label_specific_str']]
    if len(labels) != len(images):
        raise DataError(f'{labels_path} labels {len(labels)} images but '
                        f'{images_path} holds {len(images)}')
    outside = np.flatnonzero((labels < 0) | (labels >= len(class_names)))
    if outside.size:
        raise DataError(
            f'{labels_path}: image {outside[0]} has label '
            f'{labels[outside[0]]}, outside the {len(class_names)} classes '
            'of label_specific_str')
    return images, labels, class_names


class PackedBytes:
    """Many byte strings stored back to back in a few numpy buffers.

    One buffer per :meth:`extend`; mmengine serialises the small records
    only, and copies of the dataset (``copy.deepcopy``, ``get_subset``)
    share this read-only store instead of duplicating gigabytes.
    """

    def __init__(self) -> None:
        self._buffers: List[np.ndarray] = []
        self._ends: List[np.ndarray] = []
        self._first_ids: List[int] = []
        self._size = 0

    def extend(self, items: Any) -> int:
        """Append all ``items`` (freeing each slot of ``items`` once it is
        copied) and return the id of the first."""
        lengths = np.fromiter((_byte_length(item) for item in items),
                              dtype=np.int64,
                              count=len(items))
        ends = np.cumsum(lengths)
        buffer = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
        start = 0
        for position in range(len(items)):
            end = int(ends[position])
            buffer[start:end] = np.frombuffer(
                as_png_bytes(items[position]), dtype=np.uint8)
            items[position] = None
            start = end
        first_id = self._size
        self._buffers.append(buffer)
        self._ends.append(ends)
        self._first_ids.append(first_id)
        self._size += len(items)
        return first_id

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, item_id: int) -> bytes:
        chunk = bisect.bisect_right(self._first_ids, item_id) - 1
        position = item_id - self._first_ids[chunk]
        ends = self._ends[chunk]
        start = int(ends[position - 1]) if position else 0
        return self._buffers[chunk][start:int(ends[position])].tobytes()

    def __deepcopy__(self, memo: dict) -> 'PackedBytes':
        return self


@DATASETS.register_module()
class TieredImageNetDataset(BaseFewShotDataset):
    """tieredImageNet (351 train / 97 val / 160 test classes).

    For every split in ``subset`` the dataset reads, in this order of
    preference:

    - the release: ``data_prefix/{split}_images_png.pkl`` (a pickled list or
      object array of PNG-encoded images) and ``{split}_labels.pkl`` (a dict
      with ``label_specific``, ``label_general``, ``label_specific_str`` and
      ``label_general_str``). The encoded images stay in memory, packed into
      one buffer; records carry ``img_bytes`` and are decoded lazily by the
      ``LoadImageFromBytes`` transform.
    - the unpacked form written by
      ``tools/data/classification/tiered-imagenet/unzip_tiered_imagenet.py``:
      ``data_prefix/{split}/<class name>/<index>.png`` plus
      ``data_prefix/{split}/classes.txt`` (class names in label order; when
      it is missing the folders are taken in sorted order). Records carry
      ``img_path``.

    Either way the classes are named by ``label_specific_str`` and labelled
    in its order; several splits are labelled one after the other.
    ``LoadImageFromBytes`` reads both kinds of record, so one pipeline fits
    both forms.

    Args:
        data_prefix: The tieredImageNet folder.
        subset: ``'train'``, ``'val'``, ``'test'`` or a list of them.
        pipeline: Transforms applied to every record.
        classes: A subset of the split's class names (list or file);
            ``None`` uses all classes of ``subset``.
        **kwargs: Other arguments of :class:`BaseFewShotDataset`.
    """

    SUBSETS = ('train', 'val', 'test')

    def __init__(self,
                 data_prefix: str,
                 subset: Union[str, Sequence[str]] = 'train',
                 pipeline: Sequence = (),
                 classes: Union[str, Sequence[str], None] = None,
                 **kwargs) -> None:
        self.subset = parse_subsets(subset, self.SUBSETS, type(self).__name__)
        self._png_store = PackedBytes()
        super().__init__(
            data_prefix=data_prefix,
            pipeline=pipeline,
            classes=classes,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read every split of ``subset`` in the form found on disk."""
        self._png_store = PackedBytes()
        samples: List[NamedSample] = []
        default_classes: List[str] = []
        for split in self.subset:
            pickled = osp.join(self.img_prefix, f'{split}_images_png.pkl')
            unpacked = osp.join(self.img_prefix, split)
            if osp.isfile(pickled):
                class_names = self._read_pickled(split, samples)
            elif osp.isdir(unpacked):
                class_names = self._read_unpacked(unpacked, samples)
            else:
                raise FileNotFoundError(
                    f'{type(self).__name__}: found neither {pickled} nor the '
                    f'unpacked folder {unpacked} for subset {split!r}')
            default_classes.extend(class_names)
        return self.label_by_class_name(
            samples,
            default_classes,
            source=f'subset {self.subset} of {self.img_prefix}')

    def _read_pickled(self, split: str,
                      samples: List[NamedSample]) -> List[str]:
        images, labels, class_names = load_pickled_split(
            self.img_prefix, split)
        first_id = self._png_store.extend(images)
        where = f'{split}_images_png.pkl'
        for position, label in enumerate(labels.tolist()):
            samples.append(
                (class_names[label], dict(img_bytes_id=first_id + position),
                 f'{where}[{position}]'))
        return class_names

    def _read_unpacked(self, folder: str,
                       samples: List[NamedSample]) -> List[str]:
        classes_file = osp.join(folder, CLASSES_FILE)
        if osp.isfile(classes_file):
            with open(classes_file) as names:
                class_names = [line.strip() for line in names if line.strip()]
        else:
            class_names = list_class_folders(folder)
        for class_name in class_names:
            class_dir = osp.join(folder, class_name)
            if not osp.isdir(class_dir):
                raise FileNotFoundError(f'{classes_file} lists class '
                                        f'{class_name!r} but {class_dir} '
                                        'is not a folder')
            for path in self.scan_class_folder(class_dir, ('.png', )):
                samples.append((class_name, dict(img_path=path), path))
        self.report_skipped_files(folder)
        return class_names

    def get_data_info(self, idx: int) -> Dict[str, Any]:
        """The record of sample ``idx``; pickled images get ``img_bytes``."""
        info = super().get_data_info(idx)
        if 'img_bytes_id' in info:
            info['img_bytes'] = self._png_store[info.pop('img_bytes_id')]
        return info
