"""Generate a small few-shot classification dataset: every class is one
rendered character (letter, digit or symbol), every image a randomly
distorted rendering of it in one of the fonts found on this machine.

Train, val and test classes are disjoint (60% / 20% / 20% of the classes).
Every class has a readable name (``capital-B``, ``digit-7``,
``number-sign``: letters by case, symbols by their Unicode names) and, in
the miniImageNet layout, a fake but well-formed wnid: ``n9`` followed by the
7-digit code point of its character (``A`` is ``n90000065``).

Three layouts (``--layout``):

``mini-imagenet`` (default; what ``MiniImageNetDataset`` reads)::

    images/<wnid>/<wnid>_<number>.JPEG
    train.csv, val.csv, test.csv       header ``filename,label``; a row
                                       ``<wnid><index:08d>.jpg,<wnid>`` names
                                       the index-th image (1-based, sorted
                                       by ``<number>``) of class ``<wnid>``
    train_classes.txt, val_classes.txt, test_classes.txt
                                       the wnids of each split, one a line
    glyphs.csv                         ``wnid,glyph,split`` for every class

``folders`` (a folder per class, what ``BaseFewShotDataset`` reads with
``data_prefix=OUT/<split>``)::

    train/<class name>/<number>.jpg, val/..., test/...

``annotation`` (an annotation file per split, what ``BaseFewShotDataset``
reads with ``ann_file=OUT/<split>.txt, data_prefix=OUT``)::

    images/<class name>/<number>.jpg
    train.txt, val.txt, test.txt       ``images/<class name>/<n>.jpg <label>``
                                       a line, labels 0 .. classes - 1
    train_classes.txt, ...             the class names of each split, in
                                       label order

Every layout also writes ``class_names.txt``: ``<class>\t<display name>`` a
line (the class as the dataset names it: the wnid, or the folder name),
which ``demo/demo_classification.py --class-names`` uses to label its
picture as a person would (``capital B``). The same arguments on the same
machine (same fonts) give byte-identical output.

Example::

    python tools/data/classification/make_toy_dataset.py data/toy_fewshot
    python tools/data/classification/make_toy_dataset.py data/my_chars \
        --layout folders --num-classes 20 --images-per-class 30
"""
import argparse
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys
import unicodedata
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Characters whose shapes stay distinct after distortion at small sizes
# (no O/0, I/1/l, or lowercase letters that look like their capitals).
GLYPHS = ('ABCDEFGHJKLMNPQRTUVWXYZ'
          '23456789'
          'abdefghnqrty'
          '#$%&@?+=*<>!~^{}[]/;')
SPLITS = ('train', 'val', 'test')
LAYOUTS = ('mini-imagenet', 'folders', 'annotation')
FONT_EXTENSIONS = ('.ttf', '.otf')
FONT_DIRS = ('/usr/share/fonts', '/usr/local/share/fonts', '~/.fonts',
             '~/.local/share/fonts', '/Library/Fonts', '/System/Library/Fonts',
             'C:/Windows/Fonts')
# Rendering happens on a canvas this many times larger than the output,
# then is scaled down (anti-aliasing).
SUPERSAMPLE = 2


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a toy few-shot dataset of rendered characters '
        'in the miniImageNet format')
    parser.add_argument('out', help='output folder (created)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=40,
        help=f'number of classes (3 to {len(GLYPHS)})')
    parser.add_argument(
        '--images-per-class', type=int, default=60, help='images per class')
    parser.add_argument(
        '--size', type=int, default=84, help='side of the square images')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--max-fonts',
        type=int,
        default=12,
        help='use at most this many of the fonts found')
    parser.add_argument(
        '--layout',
        choices=LAYOUTS,
        default='mini-imagenet',
        help='how the files are laid out (see the module docstring)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace OUT when it exists (refused otherwise)')
    args = parser.parse_args(argv)
    if not 3 <= args.num_classes <= len(GLYPHS):
        parser.error(f'--num-classes must be in [3, {len(GLYPHS)}], got '
                     f'{args.num_classes}')
    if args.images_per_class < 1:
        parser.error('--images-per-class must be >= 1, got '
                     f'{args.images_per_class}')
    if args.size < 16:
        parser.error(f'--size must be >= 16, got {args.size}')
    if args.max_fonts < 1:
        parser.error(f'--max-fonts must be >= 1, got {args.max_fonts}')
    return args


def wnid_of(glyph: str) -> str:
    """The fake wnid of a character class: ``n9`` + 7-digit code point."""
    return f'n9{ord(glyph):07d}'


def class_name_of(glyph: str) -> str:
    """The readable, file-name-safe class name of a character:
    ``capital-B``, ``small-b``, ``digit-7``, ``number-sign`` (distinct on
    case-insensitive file systems too)."""
    if glyph.isdigit():
        return f'digit-{glyph}'
    if glyph.isalpha():
        return f'{"capital" if glyph.isupper() else "small"}-{glyph}'
    return unicodedata.name(glyph).lower().replace(' ', '-')


def display_name_of(glyph: str) -> str:
    """How a person names the class of a character: ``capital B``,
    ``digit 7``, ``number sign #``."""
    words = class_name_of(glyph).replace('-', ' ')
    return words if glyph.isalnum() else f'{words} {glyph}'


def find_font_files() -> List[str]:
    """Sorted paths of the TrueType/OpenType fonts of this machine."""
    found = set()
    if shutil.which('fc-list'):
        listing = subprocess.run(['fc-list', '--format', '%{file}\n'],
                                 capture_output=True,
                                 text=True,
                                 check=False).stdout
        found.update(line.strip() for line in listing.splitlines())
    for folder in FONT_DIRS:
        pattern = osp.join(osp.expanduser(folder), '**', '*')
        found.update(glob.glob(pattern, recursive=True))
    return sorted(
        path for path in found
        if path.lower().endswith(FONT_EXTENSIONS) and osp.isfile(path))


def renders_all(font: ImageFont.FreeTypeFont, glyphs: Sequence[str]) -> bool:
    """Whether ``font`` draws every glyph, and draws them differently (a
    font lacking a glyph draws the same 'missing' box for all of them)."""
    masks = set()
    for glyph in glyphs:
        mask = font.getmask(glyph)
        if mask.getbbox() is None:
            return False
        masks.add((mask.size, bytes(mask)))
    return len(masks) == len(glyphs)


def load_fonts(glyphs: Sequence[str], pixel_size: int,
               max_fonts: int) -> List[ImageFont.ImageFont]:
    """Up to ``max_fonts`` fonts that render every glyph, spread evenly
    over the sorted font list; Pillow's bundled font when none is found."""
    usable = []
    for path in find_font_files():
        try:
            font = ImageFont.truetype(path, pixel_size)
        except OSError:
            continue
        if renders_all(font, glyphs):
            usable.append(font)
    if len(usable) > max_fonts:
        picks = np.linspace(0, len(usable) - 1, max_fonts).round().astype(int)
        usable = [usable[index] for index in picks]
    if usable:
        return usable
    return [ImageFont.load_default(size=pixel_size)]


def contrasting_colours(rng: np.random.Generator):
    """A (background, foreground) RGB pair far enough apart to read."""
    while True:
        background = rng.integers(0, 256, 3)
        foreground = rng.integers(0, 256, 3)
        if np.abs(background - foreground).sum() >= 200:
            return tuple(int(v) for v in background), tuple(
                int(v) for v in foreground)


def render(glyph: str, font: ImageFont.ImageFont, size: int,
           rng: np.random.Generator) -> Image.Image:
    """One distorted picture of ``glyph``: random colours, scale,
    rotation, translation, blur and pixel noise."""
    background, foreground = contrasting_colours(rng)
    canvas_size = size * SUPERSAMPLE
    mask = Image.new('L', (canvas_size, canvas_size), 0)
    draw = ImageDraw.Draw(mask)
    left, top, right, bottom = draw.textbbox((0, 0), glyph, font=font)
    draw.text(((canvas_size - (right - left)) / 2 - left,
               (canvas_size - (bottom - top)) / 2 - top),
              glyph,
              fill=255,
              font=font)
    scale = rng.uniform(0.7, 1.15)
    scaled = max(1, round(canvas_size * scale))
    mask = mask.resize((scaled, scaled), Image.BILINEAR)
    mask = mask.rotate(
        rng.uniform(-25, 25), resample=Image.BILINEAR, expand=False)
    placed = Image.new('L', (canvas_size, canvas_size), 0)
    shift = rng.uniform(-0.12, 0.12, 2) * canvas_size
    placed.paste(mask, (round((canvas_size - scaled) / 2 + shift[0]),
                        round((canvas_size - scaled) / 2 + shift[1])))
    image = Image.composite(
        Image.new('RGB', placed.size, foreground),
        Image.new('RGB', placed.size, background), placed)
    image = image.resize((size, size), Image.LANCZOS)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 0.8)))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += rng.normal(0, rng.uniform(2, 12), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8))


def split_classes(glyphs: Sequence[str]) -> Dict[str, List[str]]:
    """60% / 20% / 20% of ``glyphs`` (in the given order) as train / val /
    test, every split getting at least one class."""
    num_classes = len(glyphs)
    num_val = max(1, round(0.2 * num_classes))
    num_test = max(1, round(0.2 * num_classes))
    num_train = num_classes - num_val - num_test
    return dict(
        train=list(glyphs[:num_train]),
        val=list(glyphs[num_train:num_train + num_val]),
        test=list(glyphs[num_train + num_val:]))


def make_toy_dataset(out: str,
                     num_classes: int = 40,
                     images_per_class: int = 60,
                     size: int = 84,
                     seed: int = 0,
                     max_fonts: int = 12,
                     layout: str = 'mini-imagenet') -> Dict[str, List[str]]:
    """Write the dataset to ``out`` (which must not hold files yet).

    Args:
        out: Output folder.
        num_classes: Number of classes (characters).
        images_per_class: Images of every class.
        size: Side of the square images, in pixels.
        seed: Seed of everything random.
        max_fonts: Use at most this many of the machine's fonts.
        layout: One of ``LAYOUTS`` (see the module docstring).

    Returns:
        The classes of every split as the dataset names them (wnids in the
        miniImageNet layout, else class names): ``{'train': [...],
        'val': [...], 'test': [...]}``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    rng = np.random.default_rng(seed)
    glyphs = [GLYPHS[i] for i in rng.permutation(len(GLYPHS))[:num_classes]]
    fonts = load_fonts(GLYPHS, round(0.7 * size * SUPERSAMPLE), max_fonts)
    splits = split_classes(glyphs)
    split_of = {glyph: split for split in SPLITS for glyph in splits[split]}
    class_of = wnid_of if layout == 'mini-imagenet' else class_name_of
    files: Dict[str, List[str]] = {}
    for glyph in glyphs:
        # ImageNet-like file numbers: unique, unordered, not contiguous.
        numbers = rng.choice(
            np.arange(1, 100 * images_per_class + 1),
            images_per_class,
            replace=False)
        if layout == 'mini-imagenet':
            folder = osp.join('images', wnid_of(glyph))
            names = [f'{wnid_of(glyph)}_{int(n)}.JPEG' for n in numbers]
        else:
            top = split_of[glyph] if layout == 'folders' else 'images'
            folder = osp.join(top, class_name_of(glyph))
            names = [f'{int(n)}.jpg' for n in numbers]
        os.makedirs(osp.join(out, folder))
        for name in names:
            font = fonts[int(rng.integers(len(fonts)))]
            render(glyph, font, size, rng).save(
                osp.join(out, folder, name), quality=95)
        files[glyph] = [f'{folder}/{name}' for name in names]
    classes = {
        split: [class_of(glyph) for glyph in splits[split]]
        for split in SPLITS
    }
    write_lines(
        osp.join(out, 'class_names.txt'),
        [f'{class_of(glyph)}\t{display_name_of(glyph)}' for glyph in glyphs])
    if layout == 'mini-imagenet':
        for split in SPLITS:
            rows = ['filename,label'] + [
                f'{wnid}{index:08d}.jpg,{wnid}' for wnid in classes[split]
                for index in range(1, images_per_class + 1)
            ]
            write_lines(osp.join(out, f'{split}.csv'), rows)
        write_lines(
            osp.join(out, 'glyphs.csv'), ['wnid,glyph,split'] + [
                f'{wnid_of(glyph)},{glyph},{split}' for split in SPLITS
                for glyph in splits[split]
            ])
    if layout == 'annotation':
        for split in SPLITS:
            write_lines(
                osp.join(out, f'{split}.txt'), [
                    f'{path} {label}'
                    for label, glyph in enumerate(splits[split])
                    for path in files[glyph]
                ])
    if layout != 'folders':
        for split in SPLITS:
            write_lines(osp.join(out, f'{split}_classes.txt'), classes[split])
    return classes


def write_lines(path: str, lines: Sequence[str]) -> None:
    with open(path, 'w', newline='\n') as file:
        file.write('\n'.join(lines) + '\n')


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if osp.exists(args.out) and os.listdir(args.out):
        if not args.overwrite:
            sys.exit(f'make_toy_dataset: error: {args.out} exists and is not '
                     'empty; pass --overwrite to replace it')
        shutil.rmtree(args.out)
    classes = make_toy_dataset(args.out, args.num_classes,
                               args.images_per_class, args.size, args.seed,
                               args.max_fonts, args.layout)
    counts = ', '.join(f'{len(classes[split])} {split}' for split in SPLITS)
    print(f'wrote {args.num_classes} classes x {args.images_per_class} '
          f'images ({counts} classes) of {args.size}x{args.size} to '
          f'{args.out} ({args.layout} layout)')


if __name__ == '__main__':
    main()
