"""Inference of a trained few-shot detector on images."""
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.visualization import DetLocalVisualizer
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from mmfewshot.detection.registry import MODELS, TRANSFORMS
from mmfewshot.utils import ConfigError, load_config, resolve_device
from .original_checkpoint import load_detector_checkpoint
from .surgery import checkpoint_classes

ImageType = Union[str, np.ndarray]
# transforms of a test pipeline that need annotations or come from the file
_DROPPED = ('LoadAnnotations', 'mmdet.LoadAnnotations')
_LOADERS = ('LoadImageFromFile', 'mmdet.LoadImageFromFile')


def _test_dataset_cfg(cfg: Config) -> dict:
    for loader_key in ('test_dataloader', 'val_dataloader'):
        dataset = (cfg.get(loader_key) or {}).get('dataset')
        if isinstance(dataset, dict):
            return dataset
    raise ConfigError('the config has no test_dataloader.dataset (or '
                      'val_dataloader.dataset) to take the test pipeline '
                      'and classes from')


def _inference_pipeline(cfg: Config, from_array: bool) -> List[dict]:
    """The test pipeline without annotation loading."""
    pipeline = copy.deepcopy(_test_dataset_cfg(cfg).get('pipeline') or [])
    if not pipeline or pipeline[0].get('type') not in _LOADERS:
        raise ConfigError('the test pipeline must start with '
                          'LoadImageFromFile')
    if from_array:
        pipeline[0] = dict(pipeline[0], type='mmdet.LoadImageFromNDArray')
    return [step for step in pipeline if step.get('type') not in _DROPPED]


def init_detector(config: Union[str, Config],
                  checkpoint: Optional[str] = None,
                  device: Optional[Union[str, torch.device]] = None,
                  cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a detector from a config and load its checkpoint.

    Args:
        config: Config file or object.
        checkpoint: Checkpoint to load; it must fit the model exactly.
            None keeps the initial weights.
        device: Device; defaults to CUDA when available, else CPU.
        cfg_options: Overrides of the config.

    Returns:
        The model in eval mode, with its config at ``model.cfg`` and
        ``model.dataset_meta['classes']`` taken from the checkpoint (else
        from the test dataset's ``classes``), and ``novel_classes`` when
        the checkpoint names them (DeFRCN calibrates those).

    Raises:
        ConfigError: a config without a test dataset, or a device that is
            unusable here (e.g. ``'cuda'`` without a GPU).
        FileNotFoundError: a missing checkpoint.
        CheckpointMismatchError: a checkpoint of another model.
        CheckpointError: an unconverted checkpoint of the original toolbox
            (the message names the converter command).
    """
    if isinstance(config, str):
        cfg = load_config(config, cfg_options)
    else:
        cfg = copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    device = resolve_device(device)
    model_cfg = copy.deepcopy(cfg.model)
    # the weights come from the checkpoint: do not fetch ImageNet ones
    if checkpoint is not None:
        model_cfg.get('backbone', {}).pop('init_cfg', None)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmfewshot_det')):
        model = MODELS.build(model_cfg)
    classes, meta = None, {}
    if checkpoint is not None:
        meta = load_detector_checkpoint(model, checkpoint, model_cfg)
        classes = checkpoint_classes(dict(meta=meta))
    if classes is None:
        classes = _test_dataset_cfg(cfg).get('classes')
        if classes is not None:
            from mmfewshot.detection.datasets import read_dataset_classes
            classes = read_dataset_classes(classes,
                                           'test_dataloader.dataset.classes',
                                           'init_detector')
    model.dataset_meta = dict(classes=tuple(classes or ()))
    novel = (meta.get('dataset_meta') or {}).get('novel_classes')
    if novel is not None:
        model.dataset_meta['novel_classes'] = tuple(novel)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model


def inference_detector(
    model: torch.nn.Module, imgs: Union[ImageType, Sequence[ImageType]]
) -> Union[DetDataSample, List[DetDataSample]]:
    """Detect objects in images with the model's test pipeline.

    Args:
        model: A detector from :func:`init_detector`.
        imgs: An image file, a BGR ``uint8`` array of shape (H, W, 3), or a
            list of them.

    Returns:
        One ``DetDataSample`` per image (a single one for a single input)
        whose ``pred_instances`` hold ``bboxes`` (N, 4) in pixels of the
        original image, ``scores`` (N,) and ``labels`` (N,), indices into
        ``model.dataset_meta['classes']``.
    """
    single = not isinstance(imgs, (list, tuple))
    images = [imgs] if single else list(imgs)
    if not images:
        return []
    from_array = isinstance(images[0], np.ndarray)
    with DefaultScope.overwrite_default_scope(
            model.cfg.get('default_scope', 'mmfewshot_det')):
        pipeline = Compose([
            TRANSFORMS.build(step)
            for step in _inference_pipeline(model.cfg, from_array)
        ])
    results = []
    for index, image in enumerate(images):
        if from_array:
            data = dict(img=image, img_id=index)
        else:
            data = dict(img_path=image, img_id=index)
        batch = pseudo_collate([pipeline(data)])
        with torch.no_grad():
            results.extend(model.test_step(batch))
    return results[0] if single else results


def show_result(
        model: torch.nn.Module,
        image: ImageType,
        result: DetDataSample,
        out_file: str,
        score_thr: float = 0.3,
        min_size: int = 512,
        support: Optional[Sequence[Tuple[str,
                                         np.ndarray]]] = None) -> np.ndarray:
    """Draw the detections of one image: boxes, class names and scores;
    with ``support``, the support instances of every class beside them.

    Args:
        model: The detector (its ``dataset_meta`` names the classes).
        image: The image file or BGR array the result belongs to.
        result: The image's result from :func:`inference_detector`.
        out_file: The picture to write (its folder is created).
        score_thr: Detections with a lower score are not drawn.
        min_size: Smaller images are enlarged (with their boxes) to this
            shorter side before drawing, so that labels stay readable.
        support: ``(class name, BGR crop)`` of the support instances the
            detector learnt its classes from (:func:`support_instances`,
            or a query-support detector's support images), drawn as one
            row per class to the right of the detections.

    Returns:
        The drawn RGB image, (H, W, 3) ``uint8``.
    """
    if isinstance(image, str):
        image = mmcv.imread(image)
    scale = max(1., min_size / min(image.shape[:2]))
    if scale > 1:
        image = mmcv.imrescale(image, scale)
        result = result.clone()
        result.pred_instances.bboxes = result.pred_instances.bboxes * scale
    visualizer = DetLocalVisualizer(name=f'show_result_{id(result)}')
    visualizer.dataset_meta = dict(model.dataset_meta)
    visualizer.add_datasample(
        'result',
        mmcv.bgr2rgb(image),
        data_sample=result,
        draw_gt=False,
        pred_score_thr=score_thr,
        out_file=None if support else out_file)
    drawn = visualizer.get_image()
    if not support:
        return drawn
    drawn = _with_support_panel(drawn, support)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
    return drawn


def _with_support_panel(drawn: np.ndarray,
                        support: Sequence[Tuple[str, np.ndarray]],
                        max_per_class: int = 5) -> np.ndarray:
    """``drawn`` (RGB) with a panel on its right: one row per class, its
    name above its support crops."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    by_class: Dict[str, List[np.ndarray]] = {}
    for name, crop in support:
        crops = by_class.setdefault(name, [])
        if len(crops) < max_per_class:
            crops.append(mmcv.bgr2rgb(crop))
    rows = list(by_class)
    columns = max(len(crops) for crops in by_class.values())
    height = max(4.0, 0.95 * len(rows))
    figure = plt.figure(figsize=(height + 0.9 * columns + 0.4, height))
    grid = figure.add_gridspec(
        len(rows), 1 + columns, width_ratios=[height] + [0.9] * columns)
    main = figure.add_subplot(grid[:, 0])
    main.imshow(drawn)
    main.set_title('detections')
    main.axis('off')
    for row, name in enumerate(rows):
        for column in range(columns):
            axis = figure.add_subplot(grid[row, 1 + column])
            axis.axis('off')
            if column < len(by_class[name]):
                axis.imshow(by_class[name][column])
            if column == 0:
                axis.set_title(name, fontsize=8, loc='left')
    figure.suptitle(
        'support instances per class →',
        x=0.99,
        ha='right',
        fontsize=9,
        color='tab:gray')
    figure.tight_layout()
    figure.canvas.draw()
    panel = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return panel


def support_instances(cfg: Config,
                      max_per_class: int = 5,
                      margin: float = 0.1) -> List[Tuple[str, np.ndarray]]:
    """Crops of the instances a fine-tuned detector learnt its classes
    from: the objects of the config's training set (for a fine-tuning
    config, its K-shot set), at most ``max_per_class`` per class.

    Args:
        cfg: The model's config (``train_dataloader.dataset``, unwrapped
            from dataset wrappers, is built).
        max_per_class: Instances kept per class, in dataset order.
        margin: Context kept around each box, as a fraction of its size.

    Returns:
        ``(class name, BGR crop)`` pairs grouped by class in label order;
        ignored (difficult, crowd) boxes are left out.

    Raises:
        ConfigError: a config without a training dataset.
    """
    from mmfewshot.detection.registry import DATASETS
    dataset_cfg = (cfg.get('train_dataloader') or {}).get('dataset')
    while isinstance(dataset_cfg, dict) and 'ann_cfg' not in dataset_cfg \
            and isinstance(dataset_cfg.get('dataset'), dict):
        dataset_cfg = dataset_cfg['dataset']
    if not isinstance(dataset_cfg, dict):
        raise ConfigError('the config has no train_dataloader.dataset to '
                          'take the support instances from')
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg['pipeline'] = []
    dataset_cfg.pop('save_dataset', None)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmfewshot_det')):
        dataset = DATASETS.build(dataset_cfg)
    classes = dataset.metainfo['classes']
    crops: Dict[int, List[np.ndarray]] = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        wanted = [
            instance for instance in info.get('instances', [])
            if not instance.get('ignore_flag', 0)
            and len(crops.get(instance['bbox_label'], [])) < max_per_class
        ]
        if not wanted:
            continue
        image = mmcv.imread(info['img_path'])
        height, width = image.shape[:2]
        for instance in wanted:
            x1, y1, x2, y2 = instance['bbox']
            pad_x, pad_y = margin * (x2 - x1), margin * (y2 - y1)
            box = (max(0, int(x1 - pad_x)), max(0, int(y1 - pad_y)),
                   min(width, int(np.ceil(x2 + pad_x))),
                   min(height, int(np.ceil(y2 + pad_y))))
            if box[2] > box[0] and box[3] > box[1]:
                crops.setdefault(instance['bbox_label'],
                                 []).append(image[box[1]:box[3],
                                                  box[0]:box[2]])
    return [(classes[label], crop) for label in sorted(crops)
            for crop in crops[label]]


def format_detections(result: DetDataSample,
                      classes: Sequence[str],
                      score_thr: float = 0.3) -> List[str]:
    """One line per detection of one image: class name, score and box.

    Args:
        result: The image's result from :func:`inference_detector`.
        classes: Class names, indexed by the predicted labels.
        score_thr: Detections with a lower score are left out.

    Returns:
        Lines like ``'  circle           0.982  [12.0, 8.5, 40.2, 36.0]'``
        (box corners in pixels of the original image), best score first.
    """
    instances = result.pred_instances
    instances = instances[instances.scores >= score_thr]
    order = instances.scores.argsort(descending=True)
    lines = []
    for index in order.tolist():
        x1, y1, x2, y2 = (round(float(v), 1) for v in instances.bboxes[index])
        lines.append(f'  {classes[int(instances.labels[index])]:<16} '
                     f'{float(instances.scores[index]):.3f}  '
                     f'[{x1}, {y1}, {x2}, {y2}]')
    return lines
