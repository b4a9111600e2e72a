"""miniImageNet with the class split of Ravi & Larochelle (ICLR 2017)."""
import os
import os.path as osp
from typing import Dict, List, Sequence, Union

from mmfewshot.classification.registry import DATASETS
from mmfewshot.utils.errors import DataError
from .base import BaseFewShotDataset, NamedSample
from .utils import parse_subsets

# The ImageNet wnids of the three splits, in the order of the csv files.
TRAIN_CLASSES = ('n01532829', 'n01558993', 'n01704323', 'n01749939',
                 'n01770081', 'n01843383', 'n01910747', 'n02074367',
                 'n02089867', 'n02091831', 'n02101006', 'n02105505',
                 'n02108089', 'n02108551', 'n02108915', 'n02111277',
                 'n02113712', 'n02120079', 'n02165456', 'n02457408',
                 'n02606052', 'n02687172', 'n02747177', 'n02795169',
                 'n02823428', 'n02966193', 'n03017168', 'n03047690',
                 'n03062245', 'n03207743', 'n03220513', 'n03337140',
                 'n03347037', 'n03400231', 'n03476684', 'n03527444',
                 'n03676483', 'n03838899', 'n03854065', 'n03888605',
                 'n03908618', 'n03924679', 'n03998194', 'n04067472',
                 'n04243546', 'n04251144', 'n04258138', 'n04275548',
                 'n04296562', 'n04389033', 'n04435653', 'n04443257',
                 'n04509417', 'n04515003', 'n04596742', 'n04604644',
                 'n04612504', 'n06794110', 'n07584110', 'n07697537',
                 'n07747607', 'n09246464', 'n13054560', 'n13133613')
VAL_CLASSES = ('n01855672', 'n02091244', 'n02114548', 'n02138441', 'n02174001',
               'n02950826', 'n02971356', 'n02981792', 'n03075370', 'n03417042',
               'n03535780', 'n03584254', 'n03770439', 'n03773504', 'n03980874',
               'n09256479')
TEST_CLASSES = ('n01930112', 'n01981276', 'n02099601', 'n02110063',
                'n02110341', 'n02116738', 'n02129165', 'n02219486',
                'n02443484', 'n02871525', 'n03127925', 'n03146219',
                'n03272010', 'n03544143', 'n03775546', 'n04146614',
                'n04149813', 'n04418357', 'n04522168', 'n07613480')


@DATASETS.register_module()
class MiniImageNetDataset(BaseFewShotDataset):
    """miniImageNet (64 train / 16 val / 20 test classes, 600 images each).

    Reads ``data_prefix/{train,val,test}.csv`` (header ``filename,label``,
    rows like ``n0153282900000005.jpg,n01532829``) and the images in one of
    the two released forms, chosen per class:

    - ImageNet files: ``data_prefix/images/<wnid>/<wnid>_<number>.JPEG``.
      The digits after the wnid in a csv filename are the 1-based position
      of the image in that class's files sorted by ``<number>`` (as an
      integer), so ``n0153282900000005.jpg`` is the 5th smallest number.
    - flat: ``data_prefix/images/<csv filename>`` (images resized to 84x84,
      as distributed with the split), used when ``images/<wnid>`` is not a
      folder.

    Args:
        data_prefix: The miniImageNet folder.
        subset: ``'train'``, ``'val'``, ``'test'`` or a list of them; the
            classes of a list follow its order.
        file_format: Extension of the ImageNet files.
        pipeline: Transforms applied to every record.
        classes: A subset of the split's wnids (list or file); ``None``
            uses the predefined classes of ``subset``.
        **kwargs: Other arguments of :class:`BaseFewShotDataset`.
    """

    SPLIT_CLASSES: Dict[str, Sequence[str]] = dict(
        train=TRAIN_CLASSES, val=VAL_CLASSES, test=TEST_CLASSES)

    def __init__(self,
                 data_prefix: str,
                 subset: Union[str, Sequence[str]] = 'train',
                 file_format: str = 'JPEG',
                 pipeline: Sequence = (),
                 classes: Union[str, Sequence[str], None] = None,
                 **kwargs) -> None:
        self.subset = parse_subsets(subset, tuple(self.SPLIT_CLASSES),
                                    type(self).__name__)
        self.file_format = file_format.lstrip('.')
        super().__init__(
            data_prefix=data_prefix,
            pipeline=pipeline,
            classes=classes,
            **kwargs)

    @classmethod
    def get_predefined_classes(cls, subset: Union[str,
                                                  Sequence[str]]) -> List[str]:
        """The wnids of one split, or of several in the given order."""
        subsets = parse_subsets(subset, tuple(cls.SPLIT_CLASSES), cls.__name__)
        return [name for split in subsets for name in cls.SPLIT_CLASSES[split]]

    def load_data_list(self) -> List[dict]:
        """Resolve every csv row of the requested splits to its image."""
        samples: List[NamedSample] = []
        class_files: Dict[str, List[str]] = {}
        for split in self.subset:
            csv_path = osp.join(self.img_prefix, f'{split}.csv')
            for line_number, filename, wnid in self._read_split_file(csv_path):
                location = f'{csv_path}, line {line_number}'
                path = self._image_path(filename, wnid, location, class_files)
                samples.append((wnid, dict(img_path=path), location))
        sources = ', '.join(f'{split}.csv' for split in self.subset)
        return self.label_by_class_name(
            samples,
            self.get_predefined_classes(self.subset),
            source=f'{sources} of {self.img_prefix}')

    def _read_split_file(self, csv_path: str):
        if not osp.isfile(csv_path):
            raise FileNotFoundError(
                f'{type(self).__name__}: split file {csv_path} does not '
                'exist')
        with open(csv_path) as csv_file:
            lines = csv_file.read().splitlines()
        if not lines or lines[0].strip() != 'filename,label':
            raise DataError(f'{csv_path}, line 1: expected the header '
                            '"filename,label"')
        for line_number, line in enumerate(lines[1:], 2):
            if not line.strip():
                continue
            fields = line.strip().split(',')
            if len(fields) != 2:
                raise DataError(f'{csv_path}, line {line_number}: expected '
                                f'"<filename>,<wnid>", got {line!r}')
            yield line_number, fields[0], fields[1]

    def _image_path(self, filename: str, wnid: str, location: str,
                    class_files: Dict[str, List[str]]) -> str:
        images_dir = osp.join(self.img_prefix, 'images')
        class_dir = osp.join(images_dir, wnid)
        if wnid not in class_files and osp.isdir(class_dir):
            class_files[wnid] = self._sorted_class_files(class_dir, wnid)
        if wnid not in class_files:
            flat_path = osp.join(images_dir, filename)
            if not osp.isfile(flat_path):
                raise FileNotFoundError(
                    f'{location}: {filename} is neither a file of '
                    f'{images_dir} nor resolvable in the folder {class_dir} '
                    '(missing)')
            return flat_path
        stem = osp.splitext(filename)[0]
        position = stem[len(wnid):]
        if not stem.startswith(wnid) or not position.isdigit():
            raise DataError(f'{location}: {filename!r} is not '
                            f'"{wnid}<image number>.jpg"')
        files = class_files[wnid]
        if not 1 <= int(position) <= len(files):
            raise FileNotFoundError(
                f'{location}: {filename} asks for image {int(position)} of '
                f'class {wnid}, but {class_dir} has {len(files)} '
                f'.{self.file_format} files')
        return osp.join(class_dir, files[int(position) - 1])

    def _sorted_class_files(self, class_dir: str, wnid: str) -> List[str]:
        suffix = '.' + self.file_format.lower()
        numbered = []
        for name in os.listdir(class_dir):
            if not name.lower().endswith(suffix):
                continue
            stem = name[:-len(suffix)]
            number = stem[len(wnid) + 1:]
            if not stem.startswith(wnid + '_') or not number.isdigit():
                raise DataError(
                    f'{osp.join(class_dir, name)}: expected the name '
                    f'"{wnid}_<number>{suffix}" of an ImageNet file')
            numbered.append((int(number), name))
        return [name for _, name in sorted(numbered)]
