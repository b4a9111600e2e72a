"""The toy detection generator's COCO files hold the boxes of its VOC
files: both datasets load the same instances for every image."""
import importlib.util
from pathlib import Path

import numpy as np

from mmfewshot.detection.datasets import FewShotCocoDataset, FewShotVOCDataset

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ('circle', 'square', 'triangle', 'ring', 'cross', 'hexagon', 'star',
           'diamond')


def _generator():
    path = ROOT / 'tools/data/detection/make_toy_dataset.py'
    spec = importlib.util.spec_from_file_location('make_toy_det', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coco_and_voc_files_load_the_same_instances(tmp_path):
    root = tmp_path / 'toy'
    assert _generator().main([
        str(root), '--num-trainval', '12', '--num-test', '4', '--shots', '1',
        '--split-seeds', '0', '--coco'
    ]) == 0
    for subset, count in (('trainval', 12), ('test', 4)):
        voc = FewShotVOCDataset(
            data_root=str(root),
            ann_cfg=[
                dict(type='ann_file', ann_file=f'ImageSets/Main/{subset}.txt')
            ],
            classes=list(CLASSES),
            test_mode=True)
        coco = FewShotCocoDataset(
            data_root=str(root),
            data_prefix=dict(img='JPEGImages/'),
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file=f'annotations/instances_{subset}.json')
            ],
            classes=list(CLASSES),
            test_mode=True)
        by_image = {}
        for dataset in (voc, coco):
            assert len(dataset) == count
            for index in range(len(dataset)):
                info = dataset.get_data_info(index)
                instances = sorted(
                    (instance['bbox_label'], instance['ignore_flag'],
                     *np.round(instance['bbox'], 3))
                    for instance in info['instances'])
                by_image.setdefault(Path(info['img_path']).name,
                                    []).append(instances)
        assert len(by_image) == count
        for name, (from_voc, from_coco) in by_image.items():
            assert from_voc and from_voc == from_coco, name
