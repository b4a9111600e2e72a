"""Which files of a folder the image loaders read, and the size at which
they read an image.

The loaders of our pipelines are mmcv's (``LoadImageFromFile``,
``mmcv.imfrombytes``) with one of its decoding backends, OpenCV (``'cv2'``,
the default) or Pillow (``'pillow'``). A folder of images is read the way
they read: every file whose extension one of their decoders handles is an
image (``.webp``, ``.tiff``, upper-case ``.JPEG`` ...), and every other file
is skipped with the reason, for one log line.
"""
import functools
import os
import os.path as osp
from collections import defaultdict
from typing import (Any, Dict, FrozenSet, Iterable, List, Optional, Sequence,
                    Tuple)

import cv2
import mmcv
from PIL import Image

# Extensions OpenCV may decode, depending on how it was built; it has a
# codec for those it says it can write (:func:`decodable_extensions`).
_CV2_CANDIDATES = ('.bmp', '.dib', '.jpeg', '.jpg', '.jpe', '.jp2', '.png',
                   '.webp', '.avif', '.pbm', '.pgm', '.ppm', '.pnm', '.pfm',
                   '.sr', '.ras', '.tiff', '.tif', '.exr', '.hdr', '.pic',
                   '.gif')
# Other names of a format: OpenCV decodes by content, not by name.
_ALIASES = {'.jfif': '.jpg', '.pxm': '.pnm'}
_SINGLE_FORMAT_BACKENDS = {
    'turbojpeg': frozenset(('.jpg', '.jpeg', '.jpe', '.jfif')),
    'tifffile': frozenset(('.tif', '.tiff')),
}
# EXIF orientations that turn the picture by 90 or 270 degrees.
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112

SkippedFile = Tuple[str, str]  # (path relative to the scanned folder, why)


@functools.lru_cache(maxsize=None)
def decodable_extensions(backend: str = 'cv2') -> FrozenSet[str]:
    """The (lower-case) extensions of the image formats that mmcv's
    ``backend`` decodes here.

    Args:
        backend: ``'cv2'``, ``'pillow'``, ``'turbojpeg'`` or ``'tifffile'``
            (mmcv's ``imdecode_backend``).

    Returns:
        Extensions with their dot, e.g. ``'.webp'``.
    """
    if backend in _SINGLE_FORMAT_BACKENDS:
        return _SINGLE_FORMAT_BACKENDS[backend]
    if backend == 'pillow':
        return frozenset(
            ext for ext, name in Image.registered_extensions().items()
            if name in Image.OPEN)
    if backend != 'cv2':
        raise ValueError(f'unknown image decoding backend {backend!r}; use '
                         "'cv2', 'pillow', 'turbojpeg' or 'tifffile'")
    found = {
        ext
        for ext in _CV2_CANDIDATES if cv2.haveImageWriter(f'image{ext}')
    }
    found.update(alias for alias, ext in _ALIASES.items() if ext in found)
    return frozenset(found)


def loader_settings(transforms: Iterable[Any]) -> Dict[str, str]:
    """The decoding settings of the first image loader among
    ``transforms`` (built transforms): ``imdecode_backend`` and
    ``color_type``, mmcv's defaults (``'cv2'``, ``'color'``) where it has
    none."""
    settings = dict(imdecode_backend='cv2', color_type='color')
    for transform in transforms:
        if hasattr(transform, 'imdecode_backend'):
            for key in settings:
                settings[key] = getattr(transform, key, settings[key])
            break
    return settings


def list_image_files(
    folder: str,
    extensions: Optional[Sequence[str]] = None,
    backend: str = 'cv2',
    not_reported: Sequence[str] = ()
) -> Tuple[List[str], List[SkippedFile]]:
    """The image files below ``folder`` and the files skipped, with why.

    Hidden files and folders (names starting with ``.``, such as
    ``.DS_Store`` or ``.ipynb_checkpoints``) are skipped; so is every file
    whose lower-cased extension is not in ``extensions`` (by default: the
    formats ``backend`` decodes, :func:`decodable_extensions`).

    Args:
        folder: The folder, scanned recursively.
        extensions: The extensions that are images (any case); None for
            every format ``backend`` decodes.
        backend: mmcv's decoding backend of the pipeline.
        not_reported: Extensions of companion files that are skipped
            without a note (e.g. ``'.txt'`` box files of a demo).

    Returns:
        The sorted paths of the images and the ``(path, reason)`` of every
        skipped file or folder, both relative to ``folder``.
    """
    if extensions is None:
        accepted = decodable_extensions(backend)
        refusal = f'not a format the {backend!r} image backend decodes'
    else:
        accepted = frozenset(ext.lower() for ext in extensions)
        refusal = f'extension not in {sorted(accepted)}'
    quiet = tuple(ext.lower() for ext in not_reported)
    found: List[str] = []
    skipped: List[SkippedFile] = []
    for directory, subdirs, files in os.walk(folder):
        relative = osp.relpath(directory, folder)

        def rel(name: str) -> str:
            return name if relative == '.' else osp.join(relative, name)

        for name in sorted(subdirs):
            if name.startswith('.'):
                skipped.append((rel(name), 'hidden folder'))
        subdirs[:] = sorted(d for d in subdirs if not d.startswith('.'))
        for name in files:
            extension = osp.splitext(name)[1].lower()
            if name.startswith('.'):
                skipped.append((rel(name), 'hidden file'))
            elif extension in accepted:
                found.append(rel(name))
            elif extension not in quiet:
                skipped.append((rel(name), refusal))
    return sorted(found), sorted(skipped)


def describe_skipped(skipped: Sequence[SkippedFile],
                     folder: str,
                     max_examples: int = 3) -> str:
    """One line listing the skipped files by reason, e.g. ``skipped 3
    files of data/: hidden file (2: cat/.DS_Store, ...); ...``."""
    by_reason: Dict[str, List[str]] = defaultdict(list)
    for path, reason in skipped:
        by_reason[reason].append(path)
    parts = []
    for reason, paths in by_reason.items():
        shown = ', '.join(paths[:max_examples])
        more = ', ...' if len(paths) > max_examples else ''
        parts.append(f'{reason} ({len(paths)}: {shown}{more})')
    return (f'skipped {len(skipped)} entries of {folder} that are not '
            f'images it loads: {"; ".join(parts)}')


def loaded_image_size(path: str,
                      color_type: str = 'color',
                      backend: str = 'cv2') -> Tuple[int, int]:
    """``(width, height)`` of an image file as mmcv loads it.

    mmcv's ``LoadImageFromFile`` (``mmcv.imfrombytes``) turns a photo by its
    EXIF orientation with the ``'cv2'`` and ``'pillow'`` backends for
    ``color_type`` ``'color'`` and ``'grayscale'``, and leaves it as stored
    for ``'unchanged'`` and ``'*_ignore_orientation'``: a phone photo
    stored 4000x3000 with orientation 6 is loaded 3000x4000. A JPEG is
    measured from its header and EXIF orientation; other formats (whose
    orientation handling differs between OpenCV versions) are decoded as
    the loader decodes them.

    Args:
        path: The image file.
        color_type: The loader's ``color_type``.
        backend: The loader's ``imdecode_backend``.

    Returns:
        The width and height in pixels of the loaded image.

    Raises:
        OSError: when the file cannot be read or decoded.
    """
    if backend in ('cv2', 'pillow'):
        try:
            with Image.open(path) as img:
                if img.format == 'JPEG':
                    width, height = img.size
                    orientation = img.getexif().get(_EXIF_ORIENTATION)
                    if color_type in ('color', 'grayscale') and \
                            orientation in _TRANSPOSING_ORIENTATIONS:
                        return height, width
                    return width, height
        except OSError:
            pass  # not for Pillow; the loader may still decode it
    with open(path, 'rb') as f:
        content = f.read()
    try:
        img = mmcv.imfrombytes(content, flag=color_type, backend=backend)
    except Exception as error:  # the decoders raise their own kinds
        raise OSError(f'cannot decode {path}: {error}') from error
    if img is None:
        raise OSError(f'cannot decode {path}')
    return img.shape[1], img.shape[0]
