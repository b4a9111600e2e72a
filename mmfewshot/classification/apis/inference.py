"""Few-shot inference: adapt a trained classifier to a handful of labelled
support images, then classify query images."""
import copy
import os
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from mmfewshot.classification.registry import MODELS, TRANSFORMS
from mmfewshot.utils import ConfigError, DataError, load_config, resolve_device
from ..models import BaseFewShotClassifier
from .original_checkpoint import load_classifier_checkpoint

ImageType = Union[str, np.ndarray]


def _test_pipeline_cfg(cfg: Config) -> List[dict]:
    """The image pipeline of the meta-test (or validation) dataset."""
    for loader_key in ('test_dataloader', 'val_dataloader'):
        dataset = cfg.get(loader_key, {}).get('dataset')
        while isinstance(dataset, dict):
            if dataset.get('pipeline'):
                return copy.deepcopy(dataset['pipeline'])
            dataset = dataset.get('dataset')
    if cfg.get('test_pipeline'):
        return copy.deepcopy(cfg.test_pipeline)
    raise ConfigError('the config has no test pipeline (test_dataloader.'
                      'dataset[.dataset].pipeline or test_pipeline)')


def _meta_test_cfg(cfg: Config) -> dict:
    for loop_key in ('test_cfg', 'val_cfg'):
        loop = cfg.get(loop_key) or {}
        if loop.get('meta_test_cfg') is not None:
            return dict(loop['meta_test_cfg'])
    return {}


def init_classifier(
        config: Union[str, Config],
        checkpoint: Optional[str] = None,
        device: Optional[Union[str, torch.device]] = None,
        cfg_options: Optional[dict] = None) -> BaseFewShotClassifier:
    """Build a classifier from a config and load its checkpoint.

    Args:
        config: Config file or object.
        checkpoint: Checkpoint to load (must fit the model exactly); one of
            the original toolbox is converted on the fly (see
            :func:`load_classifier_checkpoint`).
        device: Device; defaults to CUDA when available, else CPU.
        cfg_options: Overrides of the config.

    Raises:
        ConfigError: a device that is unusable here (e.g. ``'cuda'``
            without a GPU).

    Returns:
        The model in eval mode, prepared for meta testing, with its config
        at ``model.cfg`` and its image pipeline at ``model.pipeline``.
    """
    if isinstance(config, str):
        cfg = load_config(config, cfg_options)
    else:
        cfg = copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    device = resolve_device(device)
    scope = cfg.get('default_scope', 'mmfewshot_cls')
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        # as the runner does: a top-level preprocessor fills the model's
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(model_cfg)
        if checkpoint is not None:
            load_classifier_checkpoint(model, checkpoint)
        model.pipeline = Compose(
            [TRANSFORMS.build(step) for step in _test_pipeline_cfg(cfg)])
    model.cfg = cfg
    model.to(device)
    model.before_meta_test(_meta_test_cfg(cfg))
    return model


def _prepare(model: BaseFewShotClassifier,
             images: Sequence[ImageType],
             labels: Optional[Sequence[int]] = None) -> dict:
    samples = []
    for index, image in enumerate(images):
        if isinstance(image, np.ndarray):
            results = dict(
                img=image,
                img_shape=image.shape[:2],
                ori_shape=image.shape[:2])
            steps = [
                step for step in model.pipeline.transforms
                if 'LoadImage' not in type(step).__name__
            ]
            results = Compose(steps)(results)
        else:
            results = model.pipeline(dict(img_path=image))
        if labels is not None:
            results['data_samples'].set_gt_label(int(labels[index]))
        samples.append(results)
    return model.data_preprocessor(pseudo_collate(samples), False)


@torch.no_grad()
def process_support_images(model: BaseFewShotClassifier,
                           support_imgs: Sequence[ImageType],
                           support_labels: Sequence[str],
                           batch_size: int = 16,
                           seed: int = 0) -> None:
    """Adapt the model to a support set.

    Args:
        model: A model from :func:`init_classifier`.
        support_imgs: Image paths or HWC BGR arrays.
        support_labels: The class name of every support image; the classes
            are numbered in sorted order and kept in ``model.CLASSES``.
        batch_size: Images per forward pass.
        seed: Seed of the adaptation's randomness (fine-tuned heads).
    """
    if isinstance(support_labels, str) or isinstance(support_imgs, str):
        raise DataError('process_support_images takes a list of images and '
                        'a list of their class names, got a string')
    if len(support_imgs) != len(support_labels):
        raise DataError(f'{len(support_imgs)} support images but '
                        f'{len(support_labels)} labels')
    if not support_imgs:
        raise DataError('the support set is empty')
    classes = sorted(set(support_labels))
    model.CLASSES = classes
    label_ids = [classes.index(label) for label in support_labels]
    model.before_forward_support(task_seed=seed)
    for start in range(0, len(support_imgs), batch_size):
        data = _prepare(model, support_imgs[start:start + batch_size],
                        label_ids[start:start + batch_size])
        model(**data, mode='support')
    model.before_forward_query()


@torch.no_grad()
def inference_classifier(model: BaseFewShotClassifier,
                         query_img: ImageType) -> Dict[str, object]:
    """Classify one query image after :func:`process_support_images`.

    Returns:
        ``pred_label`` (index), ``pred_class`` (name), ``pred_score`` and
        ``scores`` (class name → probability).
    """
    if not hasattr(model, 'CLASSES'):
        raise RuntimeError('call process_support_images() before '
                           'inference_classifier()')
    sample = model(**_prepare(model, [query_img]), mode='query')[0]
    scores = sample.pred_score.cpu().tolist()
    label = int(sample.pred_label)
    return dict(
        pred_label=label,
        pred_class=model.CLASSES[label],
        pred_score=scores[label],
        scores=dict(zip(model.CLASSES, scores)))


def read_class_names(path: str) -> Dict[str, str]:
    """Read a class-name map: ``<class><TAB><display name>`` a line.

    The class is the name a dataset or a support folder gives the class
    (a folder name, a wnid such as ``n01532829``); the display name is
    what a person calls it (``house finch``). ImageNet's ``words.txt`` has
    this format, and the toy generator writes one (``class_names.txt``).

    Args:
        path: The map file.

    Returns:
        Class → display name.

    Raises:
        FileNotFoundError: the file does not exist.
        DataError: a non-empty line without a tab, naming the line.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'class-name file {path} does not exist')
    names = {}
    with open(path, encoding='utf-8') as file:
        for number, line in enumerate(file, 1):
            line = line.rstrip('\n')
            if not line.strip():
                continue
            key, tab, name = line.partition('\t')
            if not tab or not key.strip() or not name.strip():
                raise DataError(f'{path}, line {number}: expected '
                                f'"<class><TAB><display name>", got {line!r}')
            names[key.strip()] = name.strip()
    return names


def _rgb(image: ImageType) -> np.ndarray:
    import mmcv
    image = mmcv.imread(image) if isinstance(image, str) else image
    return mmcv.bgr2rgb(image)


def show_result_pyplot(img: ImageType,
                       result: Dict[str, object],
                       out_file: Optional[str] = None,
                       show: bool = False,
                       title: str = 'result',
                       support_imgs: Optional[Sequence[ImageType]] = None,
                       support_labels: Optional[Sequence[str]] = None,
                       class_names: Optional[Dict[str, str]] = None,
                       max_shots: int = 5) -> np.ndarray:
    """Draw a prediction: the query image, and for every class its name,
    probability and (when given) its support images.

    Args:
        img: The query image: a path or an HWC BGR array.
        result: Output of :func:`inference_classifier`.
        out_file: Where to write the picture.
        show: Open a window (needs a display).
        title: Figure title.
        support_imgs: The support images the model was adapted to (paths
            or HWC BGR arrays); None draws the probabilities only (top 5).
        support_labels: The class of every support image.
        class_names: Class → display name (:func:`read_class_names`);
            classes not in it are shown as they are named.
        max_shots: At most this many support images are drawn per class.

    Returns:
        The drawn image, an RGB ``uint8`` array of shape (H, W, 3).
    """
    import matplotlib
    if not show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names = dict(class_names or {})

    def display(name: str) -> str:
        return names.get(name, name)

    scores = result['scores']
    predicted = result['pred_class']
    if support_imgs is None:
        figure = _draw_scores(plt, _rgb(img), result, display)
    else:
        if support_labels is None or len(support_labels) != len(support_imgs):
            raise ValueError('give one support label per support image')
        shots: Dict[str, list] = {name: [] for name in scores}
        for image, label in zip(support_imgs, support_labels):
            if label in shots and len(shots[label]) < max_shots:
                shots[label].append(image)
        num_shots = max(1, max(len(images) for images in shots.values()))
        rows = list(scores)
        figure = plt.figure(
            figsize=(3.4 + 1.1 * num_shots + 2.8, max(3.4, 1.1 * len(rows))))
        grid = figure.add_gridspec(
            len(rows),
            2 + num_shots,
            width_ratios=[3.4] + [1.1] * num_shots + [2.8])
        query_axis = figure.add_subplot(grid[:, 0])
        query_axis.imshow(_rgb(img))
        query_axis.set_title(f'query\nprediction: {display(predicted)} '
                             f"({result['pred_score']:.2f})")
        query_axis.axis('off')
        for row, name in enumerate(rows):
            for column in range(num_shots):
                axis = figure.add_subplot(grid[row, 1 + column])
                axis.axis('off')
                if column < len(shots[name]):
                    axis.imshow(_rgb(shots[name][column]))
                if row == 0 and column == 0:
                    axis.set_title('support', fontsize=9, loc='left')
            colour = 'tab:green' if name == predicted else 'tab:gray'
            bar = figure.add_subplot(grid[row, 1 + num_shots])
            bar.barh([0], [scores[name]], color=colour)
            bar.set_xlim(0, 1)
            bar.set_yticks([])
            bar.set_title(
                f'{display(name)}: {scores[name]:.2f}', fontsize=9, loc='left')
            if row < len(rows) - 1:
                bar.set_xticks([])
            else:
                bar.tick_params(axis='x', labelsize=7)
                bar.set_xlabel('probability', fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    figure.canvas.draw()
    drawn = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    if out_file is not None:
        figure.savefig(out_file)
    if show:
        plt.show()
    plt.close(figure)
    return drawn


def _draw_scores(plt, image: np.ndarray, result: Dict[str, object],
                 display) -> object:
    """The query with its predicted class, and the top-5 probabilities."""
    top = sorted(result['scores'].items(), key=lambda item: -item[1])[:5]
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(8, 4), gridspec_kw=dict(width_ratios=[1, 1]))
    left.imshow(image)
    left.set_title(f"{display(result['pred_class'])} "
                   f"({result['pred_score']:.2f})")
    left.axis('off')
    labels = [display(name) for name, _ in top][::-1]
    right.barh(labels, [score for _, score in top][::-1], color='tab:blue')
    right.set_xlim(0, 1)
    right.set_xlabel('probability')
    return figure
