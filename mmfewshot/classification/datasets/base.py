"""The dataset every few-shot classification dataset derives from."""
import logging
import os
import os.path as osp
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset as MMEngineBaseDataset
from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset
from mmpretrain.evaluation import Accuracy

from mmfewshot.classification.registry import DATASETS, TRANSFORMS
from mmfewshot.utils.class_names import as_class_names
from mmfewshot.utils.errors import (ConfigError, DataError,
                                    raise_for_unreadable_image)
from mmfewshot.utils.image_files import (describe_skipped, list_image_files,
                                         loader_settings)
from .utils import build_in_scope, group_by_label, list_class_folders

# (class name, record without ``gt_label``, where the sample was found)
NamedSample = Tuple[str, dict, str]


@DATASETS.register_module()
class BaseFewShotDataset(BaseDataset):
    """A list of ``{img_path | img_bytes, gt_label}`` records plus classes,
    with the per-class index that episodic sampling needs.

    Without subclassing it reads the two layouts of mmpretrain's
    ``CustomDataset``:

    - annotation file (``ann_file`` given): one ``relative/path.png <label>``
      a line, paths relative to ``data_prefix``, labels in
      ``[0, num_classes - 1]``. ``classes`` names the labels; without it the
      classes are ``'0' .. str(max label)``.
    - sub-folders (no ``ann_file``): ``data_prefix/<class>/<image>``, the
      class is the folder name, classes sorted by name. ``classes`` selects
      (and orders) a subset of the folders.

    Subclasses for the released few-shot benchmarks override
    :meth:`load_data_list`. Pipelines are built in the ``mmfewshot_cls``
    scope, so mmpretrain/mmcv transforms and ours (``LoadImageFromBytes``)
    can be named by bare ``type``.

    Args:
        data_prefix: Root folder of the images.
        pipeline: Transforms applied to every record.
        classes: Class names: a list, the path of a text file with one
            class a line, or one class name. ``None`` uses the classes the
            data defines (or the dataset's predefined list).
        ann_file: Annotation file; empty selects the sub-folder layout.
        data_root: Joined in front of relative ``data_prefix``/``ann_file``.
        test_mode: Passed to mmengine's ``BaseDataset``.
        extensions: File endings counted as images in the sub-folder
            layout (any case); None (the default) counts every format the
            pipeline's image loader decodes (``.jpg``, ``.png``, ``.webp``,
            ``.tiff``, ``.bmp`` ... with OpenCV). Skipped files are listed
            in one warning with the reason.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``lazy_init``, ``serialize_data``, ``indices``, ...).
    """

    def __init__(self,
                 data_prefix: str = '',
                 pipeline: Sequence = (),
                 classes: Union[str, Sequence[str], None] = None,
                 ann_file: str = '',
                 data_root: str = '',
                 test_mode: bool = False,
                 extensions: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        if not (data_prefix or ann_file or data_root):
            raise ConfigError(f'{type(self).__name__}: give `data_prefix` '
                              '(or `ann_file`/`data_root`)')
        self.extensions = None if extensions is None else tuple(
            ext.lower() for ext in extensions)
        self._skipped_files: List[Tuple[str, str]] = []
        transforms = [build_in_scope(TRANSFORMS, step) for step in pipeline]
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=transforms,
            test_mode=test_mode,
            classes=as_class_names(classes, 'classes',
                                   type(self).__name__),
            **kwargs)

    # ------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        """Read the annotation-file or the sub-folder layout."""
        if self.ann_file:
            return self._load_annotation_file()
        root = self.img_prefix
        folders = list_class_folders(root)
        samples = []
        for folder in folders:
            for path in self.scan_class_folder(osp.join(root, folder)):
                samples.append((folder, dict(img_path=path), path))
        self.report_skipped_files(root)
        return self.label_by_class_name(samples, folders, source=root)

    def scan_class_folder(
            self,
            folder: str,
            extensions: Optional[Sequence[str]] = None) -> List[str]:
        """The images of a class folder, as paths (sorted).

        An image is a file whose extension is in ``extensions`` (default:
        the dataset's ``extensions``; None there means every format the
        pipeline's image loader decodes, see
        :func:`mmfewshot.utils.image_files.list_image_files`). The other
        files are noted for :meth:`report_skipped_files`.
        """
        if extensions is None:
            extensions = self.extensions
        backend = loader_settings(self.pipeline.transforms)['imdecode_backend']
        found, skipped = list_image_files(folder, extensions, backend)
        self._skipped_files.extend(
            (osp.join(folder, path), why) for path, why in skipped)
        return [osp.join(folder, path) for path in found]

    def report_skipped_files(self, root: str) -> None:
        """Log one warning listing the files that
        :meth:`scan_class_folder` skipped (and the hidden folders of
        ``root``), by reason."""
        skipped = [(osp.join(root, name), 'hidden folder')
                   for name in sorted(os.listdir(root))
                   if name.startswith('.') and osp.isdir(osp.join(root, name))]
        skipped += self._skipped_files
        self._skipped_files = []
        if skipped:
            print_log(
                f'{type(self).__name__}: ' +
                describe_skipped([(osp.relpath(path, root), why)
                                  for path, why in skipped], root),
                logger='current',
                level=logging.WARNING)

    def _load_annotation_file(self) -> List[dict]:
        ann_file = self.ann_file
        if not osp.isfile(ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation file {ann_file} does '
                'not exist')
        data_list, line_numbers = [], []
        # utf-8-sig: a byte order mark is not part of the first path
        with open(ann_file, encoding='utf-8-sig') as lines:
            for line_number, line in enumerate(lines, 1):
                line = line.strip()
                if not line:
                    continue
                # the label is the last word; the path may hold spaces
                parts = line.rsplit(None, 1)
                if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                    raise DataError(
                        f'{ann_file}, line {line_number}: expected '
                        f'"<image path> <label>", got {line!r}')
                path = osp.join(self.img_prefix, parts[0])
                if not osp.isfile(path):
                    raise FileNotFoundError(f'{ann_file}, line {line_number}'
                                            f': image {path} does not exist')
                data_list.append(
                    dict(
                        img_path=path,
                        gt_label=int(parts[1]),
                        _where=f'{ann_file}, line {line_number}'))
                line_numbers.append(line_number)
        if not data_list:
            raise DataError(f'{ann_file} lists no image')
        labels = [info['gt_label'] for info in data_list]
        if self.CLASSES is None:
            self._metainfo['classes'] = tuple(
                str(label) for label in range(max(labels) + 1))
        num_classes = len(self.CLASSES)
        for label, line_number in zip(labels, line_numbers):
            if not 0 <= label < num_classes:
                raise DataError(
                    f'{ann_file}, line {line_number}: label {label} is '
                    f'outside [0, {num_classes - 1}] ({num_classes} classes)')
        return data_list

    def label_by_class_name(self, samples: Iterable[NamedSample],
                            default_classes: Sequence[str],
                            source: str) -> List[dict]:
        """Give every sample the label of its class and fix ``classes``.

        The classes are the user's ``classes`` when given (samples of other
        classes are dropped), else ``default_classes`` (a sample of another
        class is an error). Every class must have at least one sample.

        Args:
            samples: ``(class name, record, location)`` triples; the location
                (a path, or a file and line) is quoted in errors.
            default_classes: The classes when the user gave none.
            source: What was read, quoted in errors.

        Returns:
            The records with ``gt_label`` set, in the order of ``samples``.
        """
        owner = type(self).__name__
        user_classes = self.CLASSES is not None
        classes = tuple(self.CLASSES if user_classes else default_classes)
        duplicates = sorted(
            {name
             for name in classes if classes.count(name) > 1})
        if duplicates:
            raise ConfigError(f'{owner}: classes {duplicates} are listed '
                              'more than once')
        label_of = {name: label for label, name in enumerate(classes)}
        data_list, found = [], set()
        for class_name, info, location in samples:
            label = label_of.get(class_name)
            if label is None:
                if user_classes:
                    continue
                raise DataError(f'{owner}: {location}: class {class_name!r}'
                                ' is not one of the classes of this split; '
                                'pass `classes` to use other classes')
            info['gt_label'] = label
            info.setdefault('_where', location)
            data_list.append(info)
            found.add(class_name)
        missing = [name for name in classes if name not in found]
        if missing:
            shown = ', '.join(repr(name) for name in missing[:5])
            more = f' and {len(missing) - 5} more' if len(missing) > 5 else ''
            raise DataError(f'{owner}: no image of class {shown}{more} in '
                            f'{source}')
        self._metainfo['classes'] = classes
        return data_list

    def filter_data(self) -> List[dict]:
        """The loaded records, each image once.

        An image listed more than once (merged annotation lists, repeated
        csv rows) would be sampled as two images, e.g. as the support and
        the query of one episode: repeats with the same label are dropped
        with one warning naming them, repeats with another label are an
        error. Paths are compared after normalisation (``a/./b.png`` is
        ``a/b.png``).

        Raises:
            DataError: naming the image and both places that list it with
                different labels.
        """
        owner = type(self).__name__
        # normalised path -> (label, where) of its first record
        first_of: Dict[str, Tuple[int, Any]] = {}
        kept, repeats = [], []
        for info in super().filter_data():
            where = info.pop('_where', None)
            path = info.get('img_path')
            if path is None:
                kept.append(info)
                continue
            key = osp.normpath(osp.abspath(path))
            if key not in first_of:
                first_of[key] = (info['gt_label'], where)
                kept.append(info)
                continue
            first_label, first_where = first_of[key]
            if first_label != info['gt_label']:
                raise DataError(
                    f'{owner}: image {path} is listed as class '
                    f'{self.CLASSES[first_label]!r} ({first_where}) and as '
                    f'class {self.CLASSES[info["gt_label"]]!r} ({where})')
            repeats.append(f'{where} repeats {first_where}')
        if repeats:
            print_log(
                f'{owner}: {len(repeats)} image(s) are listed more than '
                f'once; each is used once (e.g. {repeats[0]})',
                logger='current',
                level=logging.WARNING)
        return kept

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on record ``idx``.

        Raises:
            DataError: naming the image when the pipeline fails because the
                image is missing, empty or not decodable.
        """
        data_info = self.get_data_info(idx)
        img_path = data_info.get('img_path')
        try:
            return self.pipeline(data_info)
        except Exception as error:
            raise_for_unreadable_image(img_path, type(self).__name__, error)
            raise

    # ------------------------------------------------------ label index
    def full_init(self) -> None:
        """Load the records, then index the sample ids of every class."""
        if self._fully_initialized:
            return
        super().full_init()
        self._index_labels()

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        super().get_subset_(indices)
        self._index_labels()

    def get_subset(self, indices: Union[Sequence[int],
                                        int]) -> 'BaseFewShotDataset':
        subset = super().get_subset(indices)
        subset._index_labels()
        return subset

    def _index_labels(self) -> None:
        # mmengine's own ``get_data_info`` reads the stored record only:
        # subclasses may extend theirs with large fields (image bytes).
        labels = np.fromiter(
            (MMEngineBaseDataset.get_data_info(self, idx)['gt_label']
             for idx in range(len(self))),
            dtype=np.int64,
            count=len(self))
        num_classes = len(self.CLASSES)
        outside = np.flatnonzero((labels < 0) | (labels >= num_classes))
        if outside.size:
            idx = int(outside[0])
            record = MMEngineBaseDataset.get_data_info(self, idx)
            raise DataError(
                f'{type(self).__name__}: sample {idx} '
                f'({record.get("img_path", "in memory")}) has label '
                f'{labels[idx]} outside [0, {num_classes - 1}]')
        self._gt_labels = labels
        self._class_indices = group_by_label(labels, num_classes)

    @property
    def class_indices(self) -> List[np.ndarray]:
        """Entry ``c``: the sample ids of class ``c`` (read-only view)."""
        self.full_init()
        return self._class_indices

    def get_class_indices(self, class_id: int) -> List[int]:
        """Sample ids of class ``class_id``, in dataset order."""
        self.full_init()
        if not 0 <= class_id < len(self.CLASSES):
            raise IndexError(f'{type(self).__name__}: class id {class_id} is '
                             f'outside [0, {len(self.CLASSES) - 1}]')
        return self._class_indices[class_id].tolist()

    def get_gt_labels(self) -> np.ndarray:
        """Labels of all samples, in dataset order."""
        self.full_init()
        return self._gt_labels.copy()

    def get_cat_ids(self, idx: int) -> List[int]:
        """The label of sample ``idx`` as a one-element list."""
        self.full_init()
        return [int(self._gt_labels[idx])]

    # ------------------------------------------------------- evaluation
    @staticmethod
    def evaluate(
        results: Union[np.ndarray, torch.Tensor, Sequence],
        gt_labels: Union[np.ndarray, torch.Tensor, Sequence],
        topk: Sequence[int] = (1, 5)
    ) -> Dict[str, float]:
        """Top-k accuracy in percent.

        Args:
            results: Class scores, shape ``[num_samples, num_classes]``.
            gt_labels: True labels, shape ``[num_samples]``.
            topk: The ``k`` values to report.

        Returns:
            ``{'accuracy_top-<k>': value}`` for every ``k`` in ``topk``.
        """
        if isinstance(topk, int):
            topk = (topk, )
        scores = torch.as_tensor(np.asarray(results)) if not isinstance(
            results, torch.Tensor) else results
        if scores.ndim != 2:
            raise ValueError('evaluate: `results` must be class scores of '
                             f'shape [num_samples, num_classes], got shape '
                             f'{tuple(scores.shape)}')
        accuracies = Accuracy.calculate(
            scores, gt_labels, topk=tuple(topk), thrs=(None, ))
        return {
            f'accuracy_top-{k}': float(accuracy[0])
            for k, accuracy in zip(topk, accuracies)
        }

    def extra_repr(self) -> List[str]:
        lines = [f'Prefix of images: \t{self.img_prefix}']
        if self.ann_file:
            lines.insert(0, f'Annotation file: \t{self.ann_file}')
        return lines
