"""Classification data as users bring it: merged annotation lists, every
image format of a class folder, class lists written as one string, hidden
files, byte order marks. Nothing gives a wrong result without a word."""
import importlib.util
import os
import os.path as osp
from pathlib import Path

import pytest
from mmpretrain.datasets import CustomDataset
from PIL import Image

from mmfewshot.classification.datasets import (BaseFewShotDataset,
                                               EpisodicDataset,
                                               MetaTestDataset)
from mmfewshot.utils import ConfigError, DataError

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


@pytest.fixture
def listed_twice(tmp_path, image_writer):
    """3 classes of 4 images; the annotation file lists every image twice
    (two merged lists)."""
    lines = []
    for label in range(3):
        for number in range(4):
            name = f'c{label}/{number}.png'
            image_writer(str(tmp_path / 'img' / name), 10 * label + number)
            lines.append(f'{name} {label}')
    ann_file = tmp_path / 'merged.txt'
    ann_file.write_text('\n'.join(lines + lines) + '\n')
    return tmp_path / 'img', ann_file


def test_repeated_lines_are_used_once_and_said(listed_twice, log_records):
    img, ann_file = listed_twice
    dataset = BaseFewShotDataset(
        data_prefix=str(img), ann_file=str(ann_file), pipeline=PIPELINE)
    assert len(dataset) == 12
    assert [len(ids) for ids in dataset.class_indices] == [4, 4, 4]
    assert any('12 image(s) are listed more than once' in m
               and 'merged.txt, line 13 repeats' in m for _, m in log_records)
    # no episode holds one file in its support and its query
    episodes = MetaTestDataset(
        dataset,
        num_episodes=200,
        num_ways=3,
        num_shots=1,
        num_queries=3,
        episodes_seed=0)
    for task in range(episodes.num_episodes):
        support = {
            dataset.get_data_info(i)['img_path']
            for i in episodes.episode_support_indices[task].tolist()
        }
        query = [
            dataset.get_data_info(i)['img_path']
            for i in episodes.episode_query_indices[task].tolist()
        ]
        assert not support & set(query)
        assert len(set(query)) == len(query)


def test_same_image_under_two_labels_is_refused(tmp_path, image_writer):
    image_writer(str(tmp_path / 'img' / 'a' / 'x.png'), 1)
    image_writer(str(tmp_path / 'img' / 'b.png'), 2)
    ann_file = tmp_path / 'ann.txt'
    # one file written two ways, with two labels
    ann_file.write_text('a/x.png 0\nb.png 1\na/./x.png 1\n')
    with pytest.raises(
            DataError,
            match=r"x.png is listed as class '0' \(.*ann.txt, line 1\) and "
            r"as class '1' \(.*ann.txt, line 3\)"):
        BaseFewShotDataset(
            data_prefix=str(tmp_path / 'img'), ann_file=str(ann_file))


def test_episodes_of_other_datasets_use_each_file_once(listed_twice,
                                                       log_records):
    # mmpretrain's own dataset keeps the repeated lines
    img, ann_file = listed_twice
    dataset = CustomDataset(
        data_root='',
        data_prefix=str(img),
        ann_file=str(ann_file),
        classes=['c0', 'c1', 'c2'])
    assert len(dataset) == 24
    episodes = EpisodicDataset(
        dataset,
        num_episodes=100,
        num_ways=2,
        num_shots=1,
        num_queries=3,
        episodes_seed=0)
    for task in range(episodes.num_episodes):
        indices = (
            episodes.episode_support_indices[task].tolist() +
            episodes.episode_query_indices[task].tolist())
        paths = [dataset.get_data_info(i)['img_path'] for i in indices]
        assert len(set(paths)) == len(paths)
    assert any('12 sample(s) of CustomDataset repeat an image' in m
               for _, m in log_records)


def save(path, fmt=None, key=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.new('RGB', (10, 8), (key, 0, 200)).save(path, format=fmt)


def test_every_format_the_loader_decodes_is_loaded(tmp_path, log_records,
                                                   key_reader):
    root = tmp_path / 'folders'
    files = {
        'a.jpg': 'JPEG',
        'b.png': 'PNG',
        'c.webp': 'WEBP',
        'd.tiff': 'TIFF',
        'e.tif': 'TIFF',
        'f.bmp': 'BMP',
        'g.JPEG': 'JPEG',
        'h.PNG': 'PNG',
        'i.jfif': 'JPEG',
        'j.ppm': 'PPM'
    }
    for key, (name, fmt) in enumerate(sorted(files.items())):
        save(str(root / 'cat' / name), fmt, key)
        save(str(root / 'dog' / name), fmt, key)
    for folder in ('cat', 'dog'):
        (root / folder / 'notes.txt').write_text('taken in 2020')
        (root / folder / '.DS_Store').write_bytes(b'\0\0')
    (root / '.ipynb_checkpoints').mkdir()
    dataset = BaseFewShotDataset(data_prefix=str(root), pipeline=PIPELINE)
    assert dataset.CLASSES == ('cat', 'dog')
    assert len(dataset) == 20
    names = [
        osp.basename(dataset.get_data_info(i)['img_path']) for i in range(10)
    ]
    assert names == sorted(files)
    for idx in range(len(dataset)):
        image = dataset[idx]['inputs']
        assert tuple(image.shape) == (3, 8, 10)
    skipped = [m for _, m in log_records if 'skipped 5 entries' in m]
    assert len(skipped) == 1
    assert "not a format the 'cv2' image backend decodes (2: " \
        'cat/notes.txt, dog/notes.txt)' in skipped[0]
    assert 'hidden file (2: cat/.DS_Store, dog/.DS_Store)' in skipped[0]
    assert 'hidden folder (1: .ipynb_checkpoints)' in skipped[0]


def test_given_extensions_select_and_the_rest_is_listed(tmp_path, log_records):
    root = tmp_path / 'folders'
    for name, fmt in (('a.png', 'PNG'), ('b.JPG', 'JPEG'), ('c.webp', 'WEBP')):
        save(str(root / 'cat' / name), fmt)
    dataset = BaseFewShotDataset(data_prefix=str(root), extensions=['.JPG'])
    assert [osp.basename(dataset.get_data_info(0)['img_path'])] == ['b.JPG']
    assert any("extension not in ['.jpg'] (2: cat/a.png, cat/c.webp)" in m
               for _, m in log_records)


def test_class_list_as_one_string(tmp_path, folder_dataset):
    root, counts = folder_dataset
    # one class name, not the characters of a name
    dataset = BaseFewShotDataset(data_prefix=root, classes='cat')
    assert dataset.CLASSES == ('cat', )
    assert len(dataset) == counts['cat']
    # a classes file, with a byte order mark, blank lines and spaces
    classes_file = tmp_path / 'classes.txt'
    classes_file.write_text('\ufefffox\n\n  dog \n', encoding='utf-8')
    dataset = BaseFewShotDataset(data_prefix=root, classes=str(classes_file))
    assert dataset.CLASSES == ('fox', 'dog')
    with pytest.raises(ConfigError, match=r"`classes` holds 0 \(int\)"):
        BaseFewShotDataset(data_prefix=root, classes=[0, 1])


def test_annotation_file_with_bom_and_tabs(tmp_path, image_writer):
    image_writer(str(tmp_path / 'img' / 'my cat.png'), 1)
    image_writer(str(tmp_path / 'img' / 'dog.png'), 2)
    ann_file = tmp_path / 'ann.txt'
    ann_file.write_text(
        '\ufeffmy cat.png 0\r\ndog.png\t1\r\n', encoding='utf-8')
    dataset = BaseFewShotDataset(
        data_prefix=str(tmp_path / 'img'), ann_file=str(ann_file))
    assert [
        osp.basename(dataset.get_data_info(i)['img_path']) for i in range(2)
    ] == ['my cat.png', 'dog.png']
    assert dataset.get_gt_labels().tolist() == [0, 1]


def test_demo_support_folder_reads_every_format(tmp_path, capsys):
    path = Path(__file__).resolve().parents[3] / 'demo/demo_classification.py'
    spec = importlib.util.spec_from_file_location('demo_classification', path)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    support = tmp_path / 'support'
    save(str(support / 'cat' / '1.webp'), 'WEBP')
    save(str(support / 'cat' / '2.TIFF'), 'TIFF')
    save(str(support / 'dog' / '1.jpg'), 'JPEG')
    (support / 'dog' / 'readme.md').write_text('dogs')
    (support / '.thumbnails').mkdir()
    images, labels = demo.read_support_dir(str(support))
    assert [osp.basename(p) for p in images] == ['1.webp', '2.TIFF', '1.jpg']
    assert labels == ['cat', 'cat', 'dog']
    assert 'dog/readme.md' in capsys.readouterr().out
