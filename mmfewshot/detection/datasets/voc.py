"""Few-shot PASCAL VOC datasets (and any dataset in the VOC layout)."""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence, Tuple

from mmengine.utils import is_abs

from mmfewshot.detection.registry import DATASETS
from mmfewshot.utils.errors import ConfigError, DataError
from mmfewshot.utils.image_files import loaded_image_size, loader_settings
from .base import (BaseFewShotDataset, LeftOutBoxes, RawBox, copy_ann_cfg,
                   expand_benchmark_ann_cfg)
from .class_splits import VOC_SPLIT

_IMG_DIR = 'JPEGImages/'
_ANN_DIR = 'Annotations/'
_IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff',
                   '.JPG', '.JPEG', '.PNG', '.BMP', '.WEBP', '.TIF', '.TIFF')


@DATASETS.register_module()
class FewShotVOCDataset(BaseFewShotDataset):
    """PASCAL VOC for few-shot detection (any dataset in the VOC layout).

    An ``ann_file`` is a list file with one image per line, in one of three
    forms:

    - an image id (``ImageSets/Main/trainval.txt`` of a VOC subset): the
      boxes are in ``<subset>/Annotations/<id>.xml`` and the image is
      ``<subset>/JPEGImages/<filename>``, ``<filename>`` being what the XML
      names (``.jpg``, ``.png``, ``.JPG``, sub-folders: the file as it is);
      ``<subset>`` (the folder holding ``Annotations/`` and ``JPEGImages/``)
      is the entry's ``img_prefix`` (or
      ``data_prefix=dict(sub_data_root=...)``), else the dataset's
      ``data_prefix['sub_data_root']``, else the folder above the list
      file's ``ImageSets/``;
    - an image path containing ``JPEGImages/`` (the TFA split files,
      ``datasets/VOC2007/JPEGImages/000001.jpg``): that image, with the
      boxes of ``Annotations/<path after JPEGImages/ without extension>.xml``;
    - an annotation path containing ``Annotations/`` and ending in ``.xml``:
      that XML, with the image its ``<filename>`` names.

    For a path, ``<subset>`` is the part before ``JPEGImages/`` (or
    ``Annotations/``) relative to ``data_root``, with a leading
    ``datasets/`` (the TFA files' prefix) removed. A missing annotation or
    image file is an error naming the list file's line and the file.

    Example::

        dict(type='FewShotVOCDataset',
             data_root='data/VOCdevkit/',
             ann_cfg=[dict(type='ann_file',
                           ann_file='VOC2007/ImageSets/Main/trainval.txt'),
                      dict(type='ann_file',
                           ann_file='VOC2012/ImageSets/Main/trainval.txt')],
             classes='BASE_CLASSES_SPLIT1', pipeline=[...])

    Boxes are read as mmdet reads VOC: the 1-based pixel coordinates minus
    one, as floats.

    Args:
        use_difficult: Whether boxes marked ``difficult`` are ordinary
            targets. If False (the default) they are kept with
            ``ignore_flag=1``, as mmdet does, and do not count as shots.
        **kwargs: Arguments of :class:`BaseFewShotDataset`.
    """

    SPLITS = VOC_SPLIT
    SPLIT_DATASET = 'voc'
    PREFIX_KEY = 'sub_data_root'

    def __init__(self, use_difficult: bool = False, **kwargs) -> None:
        self.use_difficult = use_difficult
        super().__init__(**kwargs)

    def load_ann_file(self, ann_file: str, img_prefix: Optional[str],
                      ann_classes: Optional[Sequence[str]]) -> List[dict]:
        """Read a VOC list file and the XML files of its images.

        A line is an image id, an image path containing ``JPEGImages/`` or
        an annotation path containing ``Annotations/`` (see the class
        docstring). The image of an id or annotation line is the file that
        the XML's ``<filename>`` names in ``JPEGImages/``.

        Args:
            ann_file: The list file.
            img_prefix: The VOC subset folder for image-id lines, or None to
                infer it from ``ann_file``.
            ann_classes: Keep only these classes' boxes; None keeps all.

        Returns:
            One item per line, in file order.

        Raises:
            FileNotFoundError: naming the line and the annotation or image
                file it leads to when that file does not exist.
            DataError: naming the XML file when it cannot be parsed.
        """
        with open(ann_file) as f:
            lines = [line.strip() for line in f if line.strip()]
        data_list = []
        left_out = LeftOutBoxes()
        for line_number, line in enumerate(lines, 1):
            where = f'{ann_file}, line {line_number} ({line})'
            file_name = None
            if _ANN_DIR in line and line.endswith('.xml'):
                subset, xml_name = self._split_path(line, _ANN_DIR)
                img_id = osp.splitext(xml_name)[0]
            elif _IMG_DIR in line:
                subset, file_name = self._split_path(line, _IMG_DIR)
                img_id = osp.splitext(file_name)[0]
            else:
                subset = img_prefix or self._infer_subset(ann_file)
                img_id = line
            xml_path = osp.join(subset, 'Annotations', f'{img_id}.xml')
            if not osp.isfile(xml_path):
                raise FileNotFoundError(
                    f'{where}: annotation file {xml_path} does not exist')
            root = _read_xml(xml_path)
            if file_name is None:
                file_name = _image_file_name(root, subset, img_id)
            img_path = osp.join(subset, 'JPEGImages', file_name)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'{where}: image {img_path} does not exist (the image '
                    f'of {xml_path})')
            width, height, raw_boxes = self._parse_xml(root, xml_path,
                                                       img_path)
            data_list.append(
                dict(
                    img_path=img_path,
                    img_id=img_id,
                    height=height,
                    width=width,
                    instances=self.make_instances(
                        raw_boxes,
                        ann_classes,
                        width,
                        height,
                        left_out,
                        img_id,
                        source=xml_path)))
        self.report_left_out(ann_file, left_out)
        return data_list

    def _split_path(self, line: str, folder: str) -> Tuple[str, str]:
        """``(subset, name inside folder)`` of a path containing
        ``folder`` (``JPEGImages/`` or ``Annotations/``)."""
        head, _, name = line.rpartition(folder)
        if is_abs(head):
            return head.rstrip('/'), name
        parts = [part for part in head.split('/') if part]
        if len(parts) > 1 and parts[0] == 'datasets':
            parts = parts[1:]
        if not parts:
            return self.data_root or '', name
        return self.join_root(osp.join(*parts)), name

    @staticmethod
    def _infer_subset(ann_file: str) -> str:
        parts = osp.normpath(ann_file).split(osp.sep)
        if 'ImageSets' not in parts[:-1]:
            raise ConfigError(
                f'cannot tell which folder holds Annotations/ and '
                f'JPEGImages/ for {ann_file} (it is not under ImageSets/): '
                'set `img_prefix` in its ann_cfg entry')
        last = len(parts) - 1 - parts[::-1].index('ImageSets')
        return osp.sep.join(parts[:last])

    def _loader_settings(self) -> dict:
        """``color_type`` and ``backend`` of the pipelines' image loader
        (the first one found; mmcv's defaults without one)."""
        pipelines = [self.pipeline, *self.multi_pipelines.values()]
        settings = loader_settings(t for p in pipelines for t in p.transforms)
        return dict(
            color_type=settings['color_type'],
            backend=settings['imdecode_backend'])

    def _parse_xml(self, root: ET.Element, xml_path: str,
                   img_path: str) -> Tuple[int, int, List[RawBox]]:
        size = root.find('size')
        width = height = 0
        # without a size, the image's size as the pipeline loads it (a
        # phone photo turned by its EXIF orientation)
        if size is not None:
            width = _xml_number(size, 'width', xml_path, int)
            height = _xml_number(size, 'height', xml_path, int)
        if width <= 0 or height <= 0:
            try:
                width, height = loaded_image_size(img_path,
                                                  **self._loader_settings())
            except OSError as error:
                raise DataError(
                    f'{xml_path} gives no image size and its image '
                    f'{img_path} cannot be read: {error}') from error
        raw_boxes = []
        for index, obj in enumerate(root.findall('object')):
            where = f'{xml_path}, object {index}'
            name = obj.find('name')
            box = obj.find('bndbox')
            if name is None or not (name.text or '').strip() or box is None:
                raise DataError(f'{where}: an object needs <name> and '
                                '<bndbox>')
            difficult = obj.find('difficult')
            is_difficult = difficult is not None and bool(
                _xml_number(obj, 'difficult', where, int))
            bbox = [
                _xml_number(box, key, where, float) - 1
                for key in ('xmin', 'ymin', 'xmax', 'ymax')
            ]
            raw_boxes.append((name.text.strip(), bbox, is_difficult
                              and not self.use_difficult))
        return width, height, raw_boxes


def _read_xml(xml_path: str) -> ET.Element:
    try:
        return ET.parse(xml_path).getroot()
    except ET.ParseError as error:
        raise DataError(f'{xml_path} is not valid XML: {error}') from error


def _xml_number(parent: ET.Element, tag: str, where: str, kind: type) -> float:
    """The number in ``parent``'s child ``tag``, or a DataError naming it."""
    element = parent.find(tag)
    text = element.text.strip() if element is not None and \
        element.text else ''
    try:
        return kind(float(text)) if kind is int else kind(text)
    except ValueError:
        raise DataError(f'{where}: <{tag}> must be a number, got '
                        f'{text!r}') from None


def _image_file_name(root: ET.Element, subset: str, img_id: str) -> str:
    """The image of an annotation, relative to ``<subset>/JPEGImages``.

    It is the XML's ``<filename>`` (any extension, sub-folders allowed).
    Without one, the image is ``<id>`` with the first of the usual image
    extensions that exists, else ``<id>.jpg``.
    """
    element = root.find('filename')
    if element is not None and element.text and element.text.strip():
        return element.text.strip()
    for extension in _IMG_EXTENSIONS:
        candidate = f'{img_id}{extension}'
        if osp.isfile(osp.join(subset, 'JPEGImages', candidate)):
            return candidate
    return f'{img_id}.jpg'


@DATASETS.register_module()
class FewShotVOCDefaultDataset(FewShotVOCDataset):
    """PASCAL VOC few-shot benchmark splits, by name.

    ``ann_cfg=[dict(method='TFA', setting='SPLIT1_1SHOT', seed=None)]``
    reads, for every class of ``classes``, the file
    ``<ann_root>/benchmark_{K}shot/box_{K}shot_{class}_train.txt`` (the
    published split; ``seed=s`` reads ``<ann_root>/seed{s}/...`` instead)
    and keeps only that class's boxes of its images. A K-shot file lists
    images holding K instances of its class in total, so with
    ``num_novel_shots=K`` and ``num_base_shots=K`` every class has exactly K
    instances (the caps also guard against files with more).

    Every method (``TFA``, ``FSCE``, ``Attention_RPN``, ``MPSR``,
    ``MetaRCNN``, ``FSDetView``) reads the same files, as the original
    benchmarks share them; ``method`` records which protocol a config
    follows. ``setting`` is ``SPLIT{1,2,3}_{K}SHOT`` (published K: 1, 2, 3, 5,
    10; every class must belong to that split) or ``{K}SHOT`` for splits
    written by ``tools/data/detection/prepare_few_shot_split.py``. Entries
    with a ``type`` (``ann_file``, ``saved_dataset``) may be mixed in.

    Args:
        ann_root: The folder holding ``benchmark_{K}shot/`` and ``seed{s}/``;
            relative to the working directory, not to ``data_root``.
        **kwargs: Arguments of :class:`FewShotVOCDataset`; ``data_root`` is
            the ``VOCdevkit`` folder the split files' paths refer to.
    """

    def __init__(self,
                 ann_root: str = 'data/few_shot_ann/voc',
                 **kwargs) -> None:
        self.ann_root = ann_root
        super().__init__(**kwargs)

    def _expand_ann_cfg(self, ann_cfg: List[dict],
                        metainfo: dict) -> List[dict]:
        return expand_benchmark_ann_cfg(
            ann_cfg, metainfo['classes'], self.ann_root,
            'box_{num_shots}shot_{class_name}_train.txt', self.SPLITS,
            self.class_split_name)


@DATASETS.register_module()
class FewShotVOCCopyDataset(FewShotVOCDataset):
    """A VOC dataset made of another dataset's items, given at run time.

    ``ann_cfg=[dict(data_list=items, classes=other.metainfo['classes'])]``
    (or ``dict(data_infos=items, ...)``), where ``items`` is e.g.
    ``other.get_data_list()``; labels are matched by class name (without
    ``classes`` the items must be labelled with this dataset's
    ``classes``). Several entries are concatenated. Used for the
    model-initialisation set of Meta R-CNN style detectors.

    Args:
        **kwargs: Arguments of :class:`FewShotVOCDataset`.
    """

    def _expand_ann_cfg(self, ann_cfg: List[dict],
                        metainfo: dict) -> List[dict]:
        return copy_ann_cfg(ann_cfg)
