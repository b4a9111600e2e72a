"""Support sets of query-support detectors: from a checkpoint for the test
tool, and from a user's own images for inference."""
import copy
from typing import List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmfewshot.detection.engine import ModelInitData, run_model_init
from mmfewshot.detection.engine.model_init_loops import SUPPORT_SET_KEY
from mmfewshot.detection.registry import TRANSFORMS
from mmfewshot.utils import ConfigError, DataError

ImageType = Union[str, np.ndarray]
_LOADERS = ('LoadImageFromFile', 'mmdet.LoadImageFromFile')


def restore_support_set(runner: Runner, meta: dict) -> bool:
    """Give the runner's test loop the support set a checkpoint carries.

    A query-support test loop that copies the support set of training
    (``model_init_dataloader.copy_from_train=True``) takes it from the
    ``support_set`` entry that :class:`SupportSetCheckpointHook` wrote into
    the checkpoint's ``meta``.

    Args:
        runner: The runner of the test.
        meta: The ``meta`` of the tested checkpoint.

    Returns:
        Whether a support set was handed over.
    """
    model_init = getattr(runner.test_loop, 'model_init', None)
    support_set = meta.get(SUPPORT_SET_KEY)
    if not isinstance(model_init, ModelInitData) or support_set is None:
        return False
    model_init.support_set = support_set
    return True


def _support_pipeline(cfg: Config) -> List[dict]:
    """The support pipeline of the model-initialisation set, reading
    images from arrays."""
    for key in ('test_cfg', 'val_cfg'):
        loader = (cfg.get(key) or {}).get('model_init_dataloader')
        if isinstance(loader, dict) and isinstance(
                loader.get('dataset'), dict):
            pipeline = copy.deepcopy(loader['dataset'].get('pipeline') or [])
            break
    else:
        raise ConfigError('the config has no test_cfg.model_init_dataloader'
                          '.dataset to take the support pipeline from; is it '
                          'a query-support detector?')
    if not pipeline or pipeline[0].get('type') not in _LOADERS:
        raise ConfigError('the support pipeline must start with '
                          'LoadImageFromFile')
    pipeline[0] = dict(pipeline[0], type='mmdet.LoadImageFromNDArray')
    return pipeline


def _label_of(label: Union[int, str], classes: Sequence[str]) -> int:
    if isinstance(label, str):
        if label not in classes:
            raise DataError(f'support class {label!r} is not a class of the '
                            f'model: {list(classes)}')
        return list(classes).index(label)
    if not 0 <= int(label) < len(classes):
        raise DataError(f'support label {label} is outside the '
                        f'{len(classes)} classes of the model')
    return int(label)


def _load_image(image: ImageType) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    try:
        loaded = mmcv.imread(image)
    except (OSError, ValueError) as error:
        raise DataError(f'support image {image} cannot be read: '
                        f'{error}') from error
    if loaded is None:
        raise DataError(f'support image {image} cannot be read')
    return loaded


def process_support_images(model: torch.nn.Module,
                           images: Sequence[ImageType],
                           labels: Sequence[Union[int, str]],
                           bboxes: Optional[Sequence[Optional[
                               Sequence[float]]]] = None,
                           batch_size: int = 16) -> List[str]:
    """Initialise a query-support detector with support images of the
    user's own: afterwards :func:`inference_detector` finds the objects of
    these classes.

    Every image goes through the support pipeline of the config's
    model-initialisation set; the features of all instances of a class are
    averaged into its support feature, replacing any earlier support set.

    Args:
        model: A query-support detector from :func:`init_detector` (its
            ``cfg`` and ``dataset_meta['classes']`` are used).
        images: Image files or BGR ``uint8`` arrays, one instance each.
        labels: The class of each image: a class name of the model or its
            index.
        bboxes: The instance box ``[x1, y1, x2, y2]`` of each image in its
            pixels, or None for the whole image (also per image).
        batch_size: Support images per forward pass.

    Returns:
        The names of the classes the detector now detects, by label.

    Raises:
        DataError: naming an unreadable image, an unknown class or a box
            outside its image.
    """
    if len(images) != len(labels) or not images:
        raise DataError(f'process_support_images needs one label per image '
                        f'and at least one image, got {len(images)} images '
                        f'and {len(labels)} labels')
    if bboxes is None:
        bboxes = [None] * len(images)
    if len(bboxes) != len(images):
        raise DataError(f'{len(bboxes)} boxes for {len(images)} support '
                        'images')
    classes = tuple(model.dataset_meta['classes'])
    with DefaultScope.overwrite_default_scope(
            model.cfg.get('default_scope', 'mmfewshot_det')):
        pipeline = Compose(
            [TRANSFORMS.build(step) for step in _support_pipeline(model.cfg)])
    items = []
    for index, (image, label, bbox) in enumerate(zip(images, labels, bboxes)):
        img = _load_image(image)
        height, width = img.shape[:2]
        box = [0., 0., float(width), float(height)] if bbox is None else \
            [float(v) for v in bbox]
        if len(box) != 4 or not (0 <= box[0] < box[2] <= width
                                 and 0 <= box[1] < box[3] <= height):
            name = image if isinstance(image, str) else f'image {index}'
            raise DataError(f'support box {box} of {name} is not inside its '
                            f'{width}x{height} pixels')
        items.append(
            pipeline(
                dict(
                    img=img,
                    img_id=index,
                    img_path=image if isinstance(image, str) else None,
                    height=height,
                    width=width,
                    instances=[
                        dict(
                            bbox=box,
                            bbox_label=_label_of(label, classes),
                            ignore_flag=0)
                    ])))
    run_model_init(model, [
        pseudo_collate(items[start:start + batch_size])
        for start in range(0, len(items), batch_size)
    ])
    return [classes[label] for label in sorted(model.support_cache)]
