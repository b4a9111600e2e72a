"""tools/data/detection/prepare_few_shot_split.py on tiny VOC / COCO data."""
import importlib.util
import json
import os
import os.path as osp

import pytest
from PIL import Image

from mmfewshot.detection.datasets import (FewShotCocoDefaultDataset,
                                          FewShotVOCDataset,
                                          FewShotVOCDefaultDataset,
                                          count_instances)
from mmfewshot.utils import DataError

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


# image index -> its file in JPEGImages/ as the XML's <filename> names it:
# extensions of every case, a sub-folder, and names that are not the id
def image_file(index):
    if index == 5:
        return 'photos/IMG_0005.png'
    return f'img{index:03d}' + ('.jpg', '.png', '.JPG', '.jpeg')[index % 4] \
        if index % 7 else f'batch/img{index:03d}.png'


def write_voc(root, objects_of, num_images, filename=image_file):
    """A VOC-format subset ``root/MyVOC`` of ``num_images`` 64x48 images;
    ``objects_of(index)`` gives the ``(class, difficult)`` boxes of one."""
    subset = root / 'MyVOC'
    img_ids = [f'img{i:03d}' for i in range(num_images)]
    for folder in ('Annotations', 'ImageSets/Main', 'JPEGImages'):
        os.makedirs(subset / folder, exist_ok=True)
    for index, img_id in enumerate(img_ids):
        name = filename(index)
        os.makedirs(osp.dirname(subset / 'JPEGImages' / name), exist_ok=True)
        Image.new('RGB', (64, 48),
                  (index * 9, 40, 80)).save(subset / 'JPEGImages' / name)
        boxes = ''.join(
            f'<object><name>{class_name}</name>'
            f'<difficult>{difficult}</difficult>'
            f'<bndbox><xmin>{2 + 4 * k}</xmin><ymin>3</ymin>'
            f'<xmax>{10 + 4 * k}</xmax><ymax>20</ymax></bndbox></object>'
            for k, (class_name, difficult) in enumerate(objects_of(index)))
        (subset / 'Annotations' / f'{img_id}.xml').write_text(
            f'<annotation><filename>{name}</filename><size><width>64</width>'
            f'<height>48</height></size>{boxes}</annotation>')
    (subset / 'ImageSets' / 'Main' /
     'trainval.txt').write_text('\n'.join(img_ids) + '\n')
    return str(root)


@pytest.fixture
def voc_root(tmp_path):
    """16 images named in every way VOC-format exports name them."""
    return write_voc(tmp_path / 'mydata', image_objects, 16)


def read(path):
    with open(path) as f:
        return f.read()


def tree(folder):
    """Every file below ``folder`` with its bytes."""
    return {
        osp.relpath(osp.join(directory, name), folder):
        read(osp.join(directory, name))
        for directory, _, names in os.walk(folder)
        for name in names
    }


def voc_args(voc_root, out, *extra):
    return [
        '--format', 'voc', '--data-root', voc_root, '--ann-file',
        'MyVOC/ImageSets/Main/trainval.txt', '--out',
        str(out), *extra
    ]


def test_voc_splits_load_with_exactly_k_instances(voc_root, tmp_path):
    script = load_script()
    out = str(tmp_path / 'few_shot_ann' / 'mydata')
    argv = voc_args(voc_root, out, '--classes', *CLASSES, '--novel-classes',
                    'fish', '--shots', '1', '2', '3', '--seeds', '0', '1', '2')
    assert script.main(argv) == 0
    assert json.loads(read(osp.join(out, 'split_info.json'))) == dict(
        format='voc',
        data_root=voc_root,
        ann_file=['MyVOC/ImageSets/Main/trainval.txt'],
        classes=CLASSES,
        novel_classes=['fish'],
        base_classes=['cat', 'dog'],
        shots=[1, 2, 3],
        seeds=[0, 1, 2],
        more_instances_than_shots=[])
    images = {}
    lines = set()
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
            for data_info in dataset.get_data_list():
                assert osp.isfile(data_info['img_path'])
            for name in CLASSES:
                images[seed, num_shots, name] = read(
                    osp.join(
                        out, f'seed{seed}',
                        f'box_{num_shots}shot_{name}_train.txt')).splitlines()
                lines.update(images[seed, num_shots, name])
    # a line names the image, or the annotation when the names differ
    for line in lines:
        assert line.startswith(('MyVOC/JPEGImages/', 'MyVOC/Annotations/'))
        assert osp.isfile(osp.join(voc_root, line))
    assert 'MyVOC/Annotations/img005.xml' in lines or all('img005' not in line
                                                          for line in lines)
    for seed in (0, 1, 2):
        for name in CLASSES:
            # nested: the 1-shot images are among the 3-shot images
            assert set(images[seed, 1, name]) <= set(images[seed, 3, name])
    assert any(images[0, num_shots, name] != images[1, num_shots, name]
               for num_shots in (1, 2, 3) for name in CLASSES)

    # the same seed writes the same files
    again = str(tmp_path / 'again')
    assert script.main(
        voc_args(voc_root, again, '--classes', *CLASSES, '--novel-classes',
                 'fish', '--shots', '1', '2', '3', '--seeds', '1')) == 0
    for name in CLASSES:
        assert read(osp.join(again, 'seed1',
                             f'box_2shot_{name}_train.txt')) == '\n'.join(
                                 images[1, 2, name]) + '\n'


def test_every_image_line_round_trips(voc_root, tmp_path):
    """Every image of the data, written as a split line, loads back as the
    same image with the same boxes."""
    script = load_script()
    args = script.parse_args(
        voc_args(voc_root, tmp_path / 'x', '--classes', *CLASSES))
    source = script.build_dataset(args).get_data_list()
    assert {osp.splitext(d['img_path'])[1]
            for d in source} == {'.jpg', '.png', '.JPG', '.jpeg'}
    split_file = tmp_path / 'all.txt'
    split_file.write_text(''.join(
        script.voc_split_line(d, voc_root) + '\n' for d in source))
    again = load_voc(voc_root, str(split_file))
    assert again == source


def load_voc(voc_root, ann_file):
    return FewShotVOCDataset(
        ann_cfg=[dict(type='ann_file', ann_file=ann_file)],
        data_root=voc_root,
        classes=CLASSES).get_data_list()


def test_sampling_skips_images_that_would_exceed_k():
    script = load_script()
    candidates = [(0, 2), (1, 2), (2, 1), (3, 3), (4, 1)]
    for seed in range(20):
        splits = script.sample_class_splits(candidates, [1, 2, 4], seed, 'x')
        counts = dict(candidates)
        for num_shots, indices in splits.items.items():
            assert sum(counts[i] for i in indices) == num_shots
            assert len(set(indices)) == len(indices)
        assert splits.overfull == {}
        assert set(splits.items[1]) <= set(splits.items[2]) <= set(
            splits.items[4])
    with pytest.raises(DataError, match="class 'x'.*9 instance.*10-shot"):
        script.sample_class_splits(candidates, [10], 0, 'x')


def test_sampling_keeps_the_smallest_image_when_none_fits():
    script = load_script()
    # every image holds two instances, but one holds three
    candidates = [(0, 2), (1, 3), (2, 2), (3, 2)]
    for seed in range(10):
        splits = script.sample_class_splits(candidates, [1, 2, 3, 5], seed,
                                            'sock')
        counts = dict(candidates)
        covered = {
            k: sum(counts[i] for i in v)
            for k, v in splits.items.items()
        }
        # K=1: one image of two; K=2: the same image; K=3: exactly two + ?
        assert len(splits.items[1]) == 1 and covered[1] == 2
        assert splits.items[2] == splits.items[1]
        assert covered[3] in (3, 4) and covered[5] in (5, 6)
        assert splits.overfull == {
            k: covered[k]
            for k in (1, 3, 5) if covered[k] > k
        }
        assert set(splits.items[1]) <= set(splits.items[3]) <= set(
            splits.items[5])


def test_pairs_only_class_gets_a_1shot_split_the_shot_cap_trims(tmp_path):
    """Every image with a sock holds a pair: the 1-shot split keeps one
    image and the dataset's shot cap keeps one of its socks."""
    script = load_script()

    def objects(index):
        return [('sock', 0), ('sock', 0)] if index % 2 else [('shoe', 0)]

    root = write_voc(tmp_path / 'pairs', objects, 8,
                     lambda index: f'img{index:03d}.png')
    out = tmp_path / 'split'
    assert script.main(
        voc_args(root, out, '--classes', 'shoe', 'sock', '--novel-classes',
                 'sock', '--shots', '1', '2', '--seeds', '0', '1')) == 0
    info = json.loads(read(out / 'split_info.json'))
    assert {(entry['seed'], entry['class_name'], entry['shots'],
             entry['instances'])
            for entry in info['more_instances_than_shots']
            } == {(0, 'sock', 1, 2), (1, 'sock', 1, 2)}
    assert len(read(out / 'seed0' / 'box_1shot_sock_train.txt').split()) == 1
    for num_shots in (1, 2):
        dataset = FewShotVOCDefaultDataset(
            ann_cfg=[dict(method='TFA', setting=f'{num_shots}SHOT', seed=0)],
            ann_root=str(out),
            data_root=root,
            classes=['shoe', 'sock'],
            novel_classes=['sock'],
            num_novel_shots=num_shots,
            num_base_shots=num_shots)
        assert count_instances(dataset.get_data_list()) == {
            0: num_shots,
            1: num_shots
        }


def test_a_failing_run_leaves_the_output_folder_as_it_was(
        voc_root, tmp_path, capsys):
    script = load_script()
    out = tmp_path / 'split'
    assert script.main(
        voc_args(voc_root, out, '--classes', *CLASSES, '--shots', '1',
                 '--seeds', '0', '1')) == 0
    before = tree(out)
    # fish has 12 instances: 100 shots is impossible, found before writing
    with pytest.raises(SystemExit) as exit_info:
        script.main(
            voc_args(voc_root, out, '--classes', *CLASSES, '--shots', '1',
                     '100', '--seeds', '0', '1', '2'))
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1
    assert error[0].startswith('prepare_few_shot_split: error: class '
                               "'cat': the data holds")
    assert tree(out) == before
    assert sorted(os.listdir(tmp_path)) == ['mydata', 'split']
    # a successful run replaces the earlier split as a whole
    assert script.main(
        voc_args(voc_root, out, '--classes', *CLASSES, '--shots', '2',
                 '--seeds', '3')) == 0
    assert sorted(os.listdir(out)) == ['seed3', 'split_info.json']
    assert sorted(os.listdir(tmp_path)) == ['mydata', 'split']


def test_output_folder_of_other_files_is_refused(voc_root, tmp_path, capsys):
    script = load_script()
    out = tmp_path / 'mine'
    out.mkdir()
    (out / 'notes.txt').write_text('keep me')
    with pytest.raises(SystemExit) as exit_info:
        script.main(
            voc_args(voc_root, out, '--classes', *CLASSES, '--shots', '1'))
    assert exit_info.value.code == 2
    assert f'--out {out} is not empty' in capsys.readouterr().err
    assert tree(out) == {'notes.txt': 'keep me'}


def test_missing_image_names_the_image_and_its_annotation(
        voc_root, tmp_path, capsys):
    script = load_script()
    missing = osp.join(voc_root, 'MyVOC', 'JPEGImages', 'img002.JPG')
    os.remove(missing)
    out = tmp_path / 'split'
    with pytest.raises(SystemExit) as exit_info:
        script.main(voc_args(voc_root, out, '--classes', *CLASSES))
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith('prepare_few_shot_split: error: ')
    assert f'image {missing} does not exist' in error
    assert osp.join('MyVOC', 'Annotations', 'img002.xml') in error
    assert 'trainval.txt, line 3' in error
    assert not out.exists()


def coco_files(tmp_path):
    """Two COCO files with their own category ids and overlapping image
    ids, and the images they name."""
    images_dir = tmp_path / 'images'
    images_dir.mkdir()
    files = []
    for part, order in ((0, CLASSES), (1, CLASSES[::-1])):
        images, anns = [], []
        for index in range(part * 12, part * 12 + 12):
            img_id = 100 + index % 12  # the same ids in both files
            file_name = f'{part}/{index:04d}.jpg'
            os.makedirs(images_dir / str(part), exist_ok=True)
            Image.new('RGB', (64, 48)).save(images_dir / file_name)
            images.append(
                dict(id=img_id, file_name=file_name, width=64, height=48))
            for name, _ in image_objects(index):
                anns.append(
                    dict(
                        id=len(anns) + 1,
                        image_id=img_id,
                        category_id=10 * (order.index(name) + 1),
                        bbox=[2, 3, 10, 12],
                        area=120,
                        iscrowd=int(index == 3 and name == 'dog')))
        ann_file = tmp_path / f'instances_{part}.json'
        ann_file.write_text(
            json.dumps(
                dict(
                    images=images,
                    annotations=anns,
                    categories=[
                        dict(id=10 * (i + 1), name=name)
                        for i, name in enumerate(order)
                    ])))
        files.append(str(ann_file))
    return files, str(images_dir)


def test_coco_splits_load_with_exactly_k_instances(tmp_path):
    script = load_script()
    ann_files, images_dir = coco_files(tmp_path)
    out = str(tmp_path / 'coco_split')
    assert script.main([
        '--format', 'coco', '--ann-file', *ann_files, '--img-prefix',
        images_dir, '--classes', *CLASSES, '--shots', '2', '3', '--seeds', '0',
        '1', '--out', out
    ]) == 0
    selected = {}
    for seed in (0, 1):
        for num_shots in (2, 3):
            dataset = FewShotCocoDefaultDataset(
                ann_cfg=[
                    dict(method='TFA', setting=f'{num_shots}SHOT', seed=seed)
                ],
                ann_root=out,
                data_prefix=dict(img=images_dir),
                classes=CLASSES)
            assert count_instances(dataset.get_data_list()) == {
                0: num_shots,
                1: num_shots,
                2: num_shots
            }
            selected[seed, num_shots] = [
                d['img_path'] for d in dataset.get_data_list()
            ]
        split_json = json.loads(
            read(
                osp.join(out, f'seed{seed}',
                         'full_box_3shot_fish_trainval.json')))
        # ids of the first file; the second file's fish (id 10) is fish
        assert split_json['categories'] == [
            dict(id=10 * (i + 1), name=name) for i, name in enumerate(CLASSES)
        ]
        assert {a['category_id'] for a in split_json['annotations']} == {30}
        image_ids = [image['id'] for image in split_json['images']]
        assert len(set(image_ids)) == len(image_ids)
    assert selected[0, 3] != selected[1, 3]


def test_coco_missing_image_is_named(tmp_path, capsys):
    script = load_script()
    ann_files, images_dir = coco_files(tmp_path)
    os.remove(osp.join(images_dir, '1', '0013.jpg'))
    with pytest.raises(SystemExit) as exit_info:
        script.main([
            '--format', 'coco', '--ann-file', *ann_files, '--img-prefix',
            images_dir, '--classes', *CLASSES, '--out',
            str(tmp_path / 'out')
        ])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"{ann_files[1]}: image {osp.join(images_dir, '1', '0013.jpg')}" \
        in error
