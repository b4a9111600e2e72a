"""What the detection tools do around the runner: saved-dataset paths, class
checks, paired dataloaders, the table of metrics by class split."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmfewshot.detection.apis import (build_train_dataloader,
                                      check_dataset_classes, evaluated_splits,
                                      format_detections, format_split_table,
                                      set_save_dataset_paths,
                                      split_metric_table)
from mmfewshot.detection.datasets import NWayKShotDataloader
from mmfewshot.utils import ConfigError


def test_save_dataset_paths_go_into_the_work_dir():
    cfg = Config(
        dict(
            work_dir='runs/a',
            train_dataloader=dict(
                dataset=dict(
                    type='NWayKShotDataset',
                    query_dataset=dict(
                        type='FewShotVOCDataset',
                        ann_cfg=[],
                        save_dataset=True),
                    support_dataset=dict(
                        type='FewShotVOCDataset',
                        ann_cfg=[],
                        save_dataset=True,
                        save_dataset_path='mine.json'),
                    extra=dict(
                        type='FewShotVOCDataset',
                        ann_cfg=[],
                        save_dataset=True)))))
    filled = set_save_dataset_paths(cfg)
    dataset = cfg.train_dataloader.dataset
    assert filled == [
        'runs/a/saved_dataset.json', 'runs/a/saved_dataset_1.json'
    ]
    assert dataset.query_dataset.save_dataset_path == filled[0]
    assert dataset.support_dataset.save_dataset_path == 'mine.json'
    assert dataset.extra.save_dataset_path == filled[1]


def test_unset_classes_are_named():
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='FewShotVOCDataset',
                    ann_cfg=[],
                    classes='ALL_CLASSES_SPLIT1')),
            val_dataloader=dict(
                dataset=dict(
                    type='FewShotVOCDataset', ann_cfg=[], classes=None))))
    with pytest.raises(ConfigError, match=r'val_dataloader\.dataset\.classes'):
        check_dataset_classes(cfg)
    cfg.val_dataloader.dataset.classes = ['cat']
    check_dataset_classes(cfg)


def test_paired_dataloaders_are_built_before_the_runner(tmp_path):
    image = tmp_path / 'JPEGImages'
    image.mkdir()
    from PIL import Image
    for index in range(4):
        Image.new('RGB', (32, 32)).save(image / f'{index:06d}.jpg')
    annotations = tmp_path / 'Annotations'
    annotations.mkdir()
    for index in range(4):
        name = ('cat', 'dog')[index % 2]
        (annotations / f'{index:06d}.xml').write_text(
            f'<annotation><filename>{index:06d}.jpg</filename><size><width>'
            '32</width><height>32</height></size><object><name>'
            f'{name}</name><difficult>0</difficult><bndbox><xmin>2</xmin>'
            '<ymin>2</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>'
            '</annotation>')
    (tmp_path / 'ImageSets/Main').mkdir(parents=True)
    (tmp_path / 'ImageSets/Main/trainval.txt').write_text(''.join(
        f'{index:06d}\n' for index in range(4)))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackDetInputs')]
    cfg = Config(
        dict(
            default_scope='mmfewshot_det',
            randomness=dict(seed=3),
            train_dataloader=dict(
                batch_size=2,
                num_workers=0,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                dataset=dict(
                    type='NWayKShotDataset',
                    num_support_ways=2,
                    num_support_shots=1,
                    query_dataset=dict(
                        type='FewShotVOCDataset',
                        data_root=str(tmp_path),
                        ann_cfg=[
                            dict(
                                type='ann_file',
                                ann_file='ImageSets/Main/trainval.txt')
                        ],
                        classes=['cat', 'dog'],
                        multi_pipelines=dict(query=pipeline,
                                             support=pipeline))))))
    build_train_dataloader(cfg)
    loader = cfg.train_dataloader
    assert isinstance(loader, NWayKShotDataloader)
    batch = next(iter(loader))
    assert len(batch['query_data']['inputs']) == 2
    assert len(batch['support_data']['inputs']) == 2
    plain = Config(
        dict(train_dataloader=dict(dataset=dict(type='FewShotVOCDataset'))))
    build_train_dataloader(plain)
    assert isinstance(plain.train_dataloader, dict)


def test_split_table_voc_and_coco_keys():
    voc = {
        'pascal_voc/mAP': 0.5,
        'pascal_voc/AP50': 0.5,
        'pascal_voc/BASE_CLASSES_SPLIT1_mAP': 0.75,
        'pascal_voc/BASE_CLASSES_SPLIT1_AP50': 0.75,
        'pascal_voc/NOVEL_CLASSES_SPLIT1_mAP': 0.125,
        'pascal_voc/NOVEL_CLASSES_SPLIT1_AP50': 0.125,
    }
    rows = split_metric_table(voc,
                              ['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'])
    assert rows == [['classes', 'mAP', 'AP50'], ['ALL', '50.0', '50.0'],
                    ['BASE_CLASSES_SPLIT1', '75.0', '75.0'],
                    ['NOVEL_CLASSES_SPLIT1', '12.5', '12.5']]
    coco = {
        'coco/bbox_mAP': 0.3,
        'coco/bbox_mAP_50': 0.5,
        'coco/BASE_bbox_mAP': 0.4,
        'coco/BASE_bbox_mAP_50': 0.6,
        'coco/BASE_CLASSES_bbox_mAP': 0.2,
        'coco/BASE_CLASSES_bbox_mAP_50': 0.1,
        'coco/person_precision': 0.9,
    }
    rows = split_metric_table(coco, ['BASE', 'BASE_CLASSES'])
    assert rows[0] == ['classes', 'bbox_mAP', 'bbox_mAP_50']
    # a split whose name starts with another's is not mistaken for it
    assert rows[2] == ['BASE', '40.0', '60.0']
    assert rows[3] == ['BASE_CLASSES', '20.0', '10.0']
    assert 'NOVEL' in format_split_table({
        'a/mAP': 1.,
        'a/NOVEL_mAP': 0.
    }, ['NOVEL'])


def test_evaluated_splits_of_evaluator_configs():
    assert evaluated_splits(
        dict(type='FewShotVOCMetric',
             class_splits=['BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1'])) \
        == ('BASE_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT1')
    assert evaluated_splits([
        dict(type='A', class_splits=dict(BASE=['a'], NOVEL=['b'])),
        dict(type='B', class_splits=['NOVEL'])
    ]) == ('BASE', 'NOVEL')
    assert evaluated_splits(dict(type='A')) == ()


def test_detections_are_listed_best_first_above_the_threshold():
    result = DetDataSample()
    result.pred_instances = InstanceData(
        bboxes=torch.tensor([[1., 2., 3., 4.], [10.04, 20.06, 30., 40.],
                             [5., 5., 9., 9.]]),
        scores=torch.tensor([0.5, 0.9, 0.1]),
        labels=torch.tensor([2, 0, 1]))
    lines = format_detections(result, ['circle', 'star', 'ring'], 0.3)
    assert lines == [
        f'  {"circle":<16} 0.900  [10.0, 20.1, 30.0, 40.0]',
        f'  {"ring":<16} 0.500  [1.0, 2.0, 3.0, 4.0]'
    ]
    assert format_detections(result, ['circle', 'star', 'ring'], 0.95) == []
