"""tools/data/detection/prepare_few_shot_split.py on tiny VOC / COCO data."""
import importlib.util
import json
import os
import os.path as osp

import pytest

from mmfewshot.detection.datasets import (FewShotCocoDefaultDataset,
                                          FewShotVOCDefaultDataset,
                                          count_instances)

SCRIPT = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'data', 'detection',
    'prepare_few_shot_split.py')
CLASSES = ['cat', 'dog', 'fish']


def load_script():
    spec = importlib.util.spec_from_file_location('prepare_few_shot_split',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_objects(index):
    """Objects of image ``index``: a varying mix with 1-2 boxes per class,
    and a difficult cat every fifth image (difficult boxes are no shots)."""
    objects = [('cat', 0)] * (1 + index % 2)
    if index % 3:
        objects.append(('dog', 0))
    if index % 4 == 0:
        objects += [('fish', 0), ('fish', 0)]
    elif index % 4 == 1:
        objects.append(('fish', 0))
    if index % 5 == 0:
        objects.append(('cat', 1))
    return objects


@pytest.fixture
def voc_root(tmp_path):
    """A custom VOC-format dataset of 16 images (XML only: the generator and
    the dataset read sizes from the XML)."""
    root = tmp_path / 'mydata'
    subset = root / 'MyVOC'
    os.makedirs(subset / 'Annotations')
    os.makedirs(subset / 'ImageSets' / 'Main')
    img_ids = [f'img{i:03d}' for i in range(16)]
    for index, img_id in enumerate(img_ids):
        boxes = ''.join(
            f'<object><name>{name}</name><difficult>{difficult}</difficult>'
            f'<bndbox><xmin>{2 + 4 * k}</xmin><ymin>3</ymin>'
            f'<xmax>{10 + 4 * k}</xmax><ymax>20</ymax></bndbox></object>'
            for k, (name, difficult) in enumerate(image_objects(index)))
        (subset / 'Annotations' / f'{img_id}.xml').write_text(
            f'<annotation><size><width>64</width><height>48</height></size>'
            f'{boxes}</annotation>')
    (subset / 'ImageSets' / 'Main' /
     'trainval.txt').write_text('\n'.join(img_ids) + '\n')
    return str(root)


def read(path):
    with open(path) as f:
        return f.read()


def test_voc_splits_load_with_exactly_k_instances(voc_root, tmp_path):
    script = load_script()
    out = str(tmp_path / 'few_shot_ann' / 'mydata')
    argv = [
        '--format', 'voc', '--data-root', voc_root, '--ann-file',
        'MyVOC/ImageSets/Main/trainval.txt', '--classes', *CLASSES,
        '--novel-classes', 'fish', '--shots', '1', '2', '3', '--seeds', '0',
        '1', '2', '--out', out
    ]
    assert script.main(argv) == 0
    assert json.loads(read(osp.join(out, 'split_info.json'))) == dict(
        format='voc',
        data_root=voc_root,
        ann_file=['MyVOC/ImageSets/Main/trainval.txt'],
        classes=CLASSES,
        novel_classes=['fish'],
        base_classes=['cat', 'dog'],
        shots=[1, 2, 3],
        seeds=[0, 1, 2])
    first_line = read(osp.join(out, 'seed0',
                               'box_1shot_fish_train.txt')).splitlines()[0]
    assert first_line.startswith('MyVOC/JPEGImages/img')
    images = {}
    for seed in (0, 1, 2):
        for num_shots in (1, 2, 3):
            # no shot caps: the files alone give exactly K per class
            dataset = FewShotVOCDefaultDataset(
                ann_cfg=[
                    dict(method='TFA', setting=f'{num_shots}SHOT', seed=seed)
                ],
                ann_root=out,
                data_root=voc_root,
                classes=CLASSES,
                novel_classes=['fish'])
            assert count_instances(dataset.get_data_list()) == {
                0: num_shots,
                1: num_shots,
                2: num_shots
            }
            for name in CLASSES:
                images[seed, num_shots, name] = read(
                    osp.join(
                        out, f'seed{seed}',
                        f'box_{num_shots}shot_{name}_train.txt')).splitlines()
    for seed in (0, 1, 2):
        for name in CLASSES:
            # nested: the 1-shot images are among the 3-shot images
            assert set(images[seed, 1, name]) <= set(images[seed, 3, name])
    assert any(images[0, num_shots, name] != images[1, num_shots, name]
               for num_shots in (1, 2, 3) for name in CLASSES)
    assert images[0, 3, 'cat'] != images[2, 3, 'cat'] or images[
        0, 3, 'fish'] != images[2, 3, 'fish']

    # the same seed writes the same files
    again = str(tmp_path / 'again')
    assert script.main(argv[:-1] + [again]) == 0
    for name in CLASSES:
        assert read(osp.join(again, 'seed1',
                             f'box_2shot_{name}_train.txt')) == '\n'.join(
                                 images[1, 2, name]) + '\n'


def test_sampling_skips_images_that_would_exceed_k():
    script = load_script()
    candidates = [(0, 2), (1, 2), (2, 1), (3, 3), (4, 1)]
    for seed in range(20):
        splits = script.sample_class_splits(candidates, [1, 2, 4], seed, 'x')
        counts = dict(candidates)
        for num_shots, indices in splits.items():
            assert sum(counts[i] for i in indices) == num_shots
            assert len(set(indices)) == len(indices)
        assert set(splits[1]) <= set(splits[2]) <= set(splits[4])
    with pytest.raises(ValueError, match="class 'x', seed 0.*exactly 10"):
        script.sample_class_splits(candidates, [10], 0, 'x')


def test_too_few_instances_is_an_error(voc_root, tmp_path):
    script = load_script()
    assert script.main([
        '--format', 'voc', '--data-root', voc_root, '--ann-file',
        'MyVOC/ImageSets/Main/trainval.txt', '--classes', *CLASSES, '--shots',
        '100', '--seeds', '0', '--out',
        str(tmp_path / 'out')
    ]) == 2


def test_coco_splits_load_with_exactly_k_instances(tmp_path):
    script = load_script()
    images, anns = [], []
    for index in range(12):
        img_id = 100 + index
        images.append(
            dict(id=img_id, file_name=f'{img_id}.jpg', width=64, height=48))
        for name, _ in image_objects(index):
            anns.append(
                dict(
                    id=len(anns) + 1,
                    image_id=img_id,
                    category_id=CLASSES.index(name) + 1,
                    bbox=[2, 3, 10, 12],
                    area=120,
                    iscrowd=int(index == 3 and name == 'dog')))
    ann_file = tmp_path / 'instances.json'
    ann_file.write_text(
        json.dumps(
            dict(
                images=images,
                annotations=anns,
                categories=[
                    dict(id=i + 1, name=name) for i, name in enumerate(CLASSES)
                ])))
    out = str(tmp_path / 'coco_split')
    assert script.main([
        '--format', 'coco', '--ann-file',
        str(ann_file), '--classes', *CLASSES, '--shots', '2', '3', '--seeds',
        '0', '1', '--out', out
    ]) == 0
    selected = {}
    for seed in (0, 1):
        for num_shots in (2, 3):
            dataset = FewShotCocoDefaultDataset(
                ann_cfg=[
                    dict(method='TFA', setting=f'{num_shots}SHOT', seed=seed)
                ],
                ann_root=out,
                data_prefix=dict(img=str(tmp_path)),
                classes=CLASSES)
            assert count_instances(dataset.get_data_list()) == {
                0: num_shots,
                1: num_shots,
                2: num_shots
            }
            selected[seed, num_shots] = [
                d['img_id'] for d in dataset.get_data_list()
            ]
        split_json = json.loads(
            read(
                osp.join(out, f'seed{seed}',
                         'full_box_3shot_fish_trainval.json')))
        assert {a['category_id'] for a in split_json['annotations']} == {3}
    assert selected[0, 3] != selected[1, 3]
