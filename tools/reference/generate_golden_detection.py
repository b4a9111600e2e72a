"""Golden outputs of the original toolbox's six few-shot detectors.

Run in the reference environment (``tools/reference/build_reference_env.sh``:
mmfewshot 0.1.0, mmdet 2.28.2, mmcv-full 1.7.2 on our torch), never in ours::

    ~/.cache/mmfewshot/reference-env/bin/python \\
        tools/reference/generate_golden_detection.py \\
        --original-repo /path/to/open-mmlab/mmfewshot@v0.1.0

For TFA, FSCE, MPSR, Meta R-CNN, FSDetView and Attention-RPN it builds the
model from the original's own release config (VOC split 1 fine-tuning, read
from ``--original-repo``), shrunk to a few hundred thousand parameters by
config overrides (:data:`SPECS` ``shrink``: narrower ResNets and heads,
fewer proposals, samplers that take every candidate so that the losses do
not depend on random sampling), gives it fixed weights (seeded, then
calibrated so that scores and boxes are spread out), and records, per
method, under ``tests/data/reference/detection/<method>/``:

- ``weights.pth``: the model's state dict under the original's key names
  and ``meta.CLASSES`` (Meta R-CNN's is a genuine mmcv 1.x checkpoint, its
  meta an mmcv ``ConfigDict`` with the support set as numpy data infos, as
  the original's training writes it);
- ``golden.pth``: the config name, the overrides, the inputs (uint8
  images, boxes, labels; support images; MPSR's object crops) and the
  original's outputs: test-time RPN proposals, final detections and the
  training losses.

``tests/test_detection/test_reference_golden.py`` converts the weights with
our converter, builds our model from our config of the same name with the
same overrides and compares.

Three adaptations of the original are needed for the shrink and are exact
at the released widths: mmdet 2.x's ``ResLayer`` shared head gets a
``base_channels`` argument (our ``ScaledResLayer``), ``meta_conv`` of
``ResNetWithMetaConv``, written with 64 output channels, has the stem's
channel count, and the local correlation of ``MultiRelationBBoxHead``,
written with ``groups=2048``, uses the shrunk channel count.
"""
import argparse
import contextlib
import copy
import logging
import os
import os.path as osp
import sys
import time
import types
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_OUT = osp.join(REPO_ROOT, 'tests', 'data', 'reference', 'detection')
SEED = 20220622
# query images: height x width, multiples of 32 (no padding)
QUERY_SHAPE = (128, 160)

VOC_SPLIT1 = ('aeroplane', 'bicycle', 'boat', 'bottle', 'car', 'cat', 'chair',
              'diningtable', 'dog', 'horse', 'person', 'pottedplant', 'sheep',
              'train', 'tvmonitor', 'bird', 'bus', 'cow', 'motorbike', 'sofa')

# every candidate is sampled: losses without random sampling
TAKE_ALL = 100000
_FPN_SHRINK = {
    'model.backbone.base_channels': 4,
    'model.neck.in_channels': [16, 32, 64, 128],
    'model.neck.out_channels': 16,
    'model.rpn_head.in_channels': 16,
    'model.rpn_head.feat_channels': 16,
    'model.roi_head.bbox_roi_extractor.out_channels': 16,
    'model.roi_head.bbox_head.in_channels': 16,
    'model.roi_head.bbox_head.fc_out_channels': 32,
    'model.train_cfg.rpn.sampler.num': TAKE_ALL,
    'model.train_cfg.rcnn.sampler.num': TAKE_ALL,
    'model.train_cfg.rpn_proposal.nms_pre': 300,
    'model.test_cfg.rpn.nms_pre': 300,
    'model.test_cfg.rpn.max_per_img': 100,
}
_C4_SHRINK = {
    'model.backbone.base_channels': 4,
    'model.rpn_head.in_channels': 64,
    'model.roi_head.shared_head.base_channels': 4,
    'model.roi_head.bbox_roi_extractor.out_channels': 64,
    'model.train_cfg.rpn.sampler.num': TAKE_ALL,
    'model.train_cfg.rcnn.sampler.num': TAKE_ALL,
}

SPECS: Dict[str, dict] = {
    'tfa':
    dict(
        config='configs/detection/tfa/voc/split1/'
        'tfa_r101_fpn_voc-split1_1shot-fine-tuning.py',
        kind='fine_tune',
        shrink=dict(_FPN_SHRINK,
                    **{'model.train_cfg.rpn_proposal.max_per_img': 100}),
        calibrate={
            'rpn_head.rpn_cls': 2.0,
            'rpn_head.rpn_reg': 0.3,
            'roi_head.bbox_head.fc_reg': 0.5,
        },
        cosine='roi_head.bbox_head.fc_cls'),
    'fsce':
    dict(
        config='configs/detection/fsce/voc/split1/'
        'fsce_r101_fpn_contrastive-loss_voc-split1_10shot-fine-tuning.py',
        kind='fine_tune',
        shrink=dict(
            _FPN_SHRINK, **{
                'model.train_cfg.rpn_proposal.max_per_img': 100,
                'model.roi_head.bbox_head.mlp_head_channels': 8,
            }),
        calibrate={
            'rpn_head.rpn_cls': 2.0,
            'rpn_head.rpn_reg': 0.3,
            'roi_head.bbox_head.fc_reg': 0.5,
        },
        cosine='roi_head.bbox_head.fc_cls'),
    'mpsr':
    dict(
        config='configs/detection/mpsr/voc/split1/'
        'mpsr_r101_fpn_2xb2_voc-split1_1shot-fine-tuning.py',
        kind='mpsr',
        shrink=dict(
            _FPN_SHRINK, **{
                'model.rpn_head.mid_channels': 8,
                'model.train_cfg.rpn_proposal.max_per_batch': 200,
            }),
        calibrate={
            'rpn_head.rpn_cls': 2.0,
            'rpn_head.rpn_reg': 0.3,
            'roi_head.bbox_head.fc_cls': 2.0,
            'roi_head.bbox_head.fc_reg': 0.5,
        }),
    'meta_rcnn':
    dict(
        config='configs/detection/meta_rcnn/voc/split1/'
        'meta-rcnn_r101_c4_8xb4_voc-split1_1shot-fine-tuning.py',
        kind='meta_rcnn',
        shrink=dict(
            _C4_SHRINK, **{
                'model.rpn_head.feat_channels':
                32,
                'model.roi_head.bbox_head.in_channels':
                128,
                'model.roi_head.bbox_head.meta_cls_in_channels':
                128,
                'model.roi_head.aggregation_layer.aggregator_cfgs.0.'
                'in_channels':
                128,
                'model.train_cfg.rpn_proposal.max_per_img':
                100,
                'model.test_cfg.rpn.max_per_img':
                100,
            }),
        calibrate={
            'rpn_head.rpn_cls': 2.0,
            'rpn_head.rpn_reg': 0.3,
            'roi_head.bbox_head.fc_cls': 2.0,
            'roi_head.bbox_head.fc_reg': 0.5,
        }),
    'fsdetview':
    dict(
        config='configs/detection/fsdetview/voc/split1/'
        'fsdetview_r101_c4_8xb4_voc-split1_1shot-fine-tuning.py',
        kind='meta_rcnn',
        shrink=dict(
            _C4_SHRINK, **{
                'model.rpn_head.feat_channels':
                32,
                'model.roi_head.bbox_head.in_channels':
                256,
                'model.roi_head.bbox_head.meta_cls_in_channels':
                128,
                'model.roi_head.aggregation_layer.aggregator_cfgs.0.'
                'in_channels':
                128,
                'model.roi_head.aggregation_layer.aggregator_cfgs.0.'
                'out_channels':
                64,
                'model.roi_head.aggregation_layer.aggregator_cfgs.1.'
                'in_channels':
                128,
                'model.roi_head.aggregation_layer.aggregator_cfgs.1.'
                'out_channels':
                64,
                'model.train_cfg.rpn_proposal.max_per_img':
                100,
                'model.test_cfg.rpn.max_per_img':
                100,
            }),
        calibrate={
            'rpn_head.rpn_cls': 2.0,
            'rpn_head.rpn_reg': 0.3,
            'roi_head.bbox_head.fc_cls': 2.0,
            'roi_head.bbox_head.fc_reg': 0.5,
        }),
    'attention_rpn':
    dict(
        config='configs/detection/attention_rpn/voc/split1/'
        'attention-rpn_r50_c4_voc-split1_1shot-fine-tuning.py',
        kind='attention_rpn',
        shrink=dict(
            _C4_SHRINK,
            **{
                'model.rpn_head.feat_channels':
                64,
                'model.rpn_head.roi_extractor.out_channels':
                64,
                'model.rpn_head.aggregation_layer.aggregator_cfgs.0.'
                'in_channels':
                64,
                'model.roi_head.shared_head.type':
                'ScaledResLayer',
                'model.roi_head.bbox_head.in_channels':
                128,
                # every pair gets exactly this many proposals (the
                # original's RoI head splits the RoIs of the pairs evenly)
                'model.train_cfg.rpn_proposal.max_per_img':
                40,
                'model.test_cfg.rpn.max_per_img':
                30,
            }),
        calibrate={
            'rpn_head.rpn_cls': 2.0,
            'rpn_head.rpn_reg': 0.3,
            'roi_head.bbox_head.patch_relation_fc_cls': 1.0,
            'roi_head.bbox_head.local_correlation_fc_cls': 1.0,
            'roi_head.bbox_head.global_relation_fc_cls': 1.0,
            'roi_head.bbox_head.patch_relation_fc_reg': 0.3,
        }),
}


# --------------------------------------------------------------- the stack
def import_original() -> types.SimpleNamespace:
    """Import the original toolbox and apply the two shrink adaptations."""
    try:
        import mmcv
        import mmdet

        import mmfewshot
    except ImportError as error:
        sys.exit(f'generate_golden_detection: error: {error}; run this with '
                 'the reference environment\'s python')
    if mmfewshot.__version__ != '0.1.0' or not mmdet.__version__.startswith(
            '2.'):
        sys.exit('generate_golden_detection: error: mmfewshot 0.1.0 on '
                 f'mmdet 2.x expected, found mmfewshot {mmfewshot.__version__}'
                 f' ({mmfewshot.__file__}), mmdet {mmdet.__version__}: run '
                 'this with the reference environment\'s python, without '
                 'this repository on PYTHONPATH')
    from mmdet.models.builder import SHARED_HEADS
    from mmdet.models.roi_heads.shared_heads import res_layer
    from mmdet.models.utils import ResLayer as _ResLayer

    from mmfewshot.detection.models import build_detector
    from mmfewshot.detection.models.roi_heads.bbox_heads import \
        multi_relation_bbox_head

    base_init = res_layer.ResLayer.__init__

    def narrow_init(self,
                    depth,
                    stage=3,
                    stride=2,
                    dilation=1,
                    style='pytorch',
                    norm_cfg=dict(type='BN', requires_grad=True),
                    norm_eval=True,
                    with_cp=False,
                    dcn=None,
                    pretrained=None,
                    init_cfg=None,
                    base_channels=64):
        base_init(self, depth, stage, stride, dilation, style, norm_cfg,
                  norm_eval, with_cp, dcn, pretrained, init_cfg)
        if base_channels == 64:
            return
        from mmdet.models.backbones import ResNet
        block, stage_blocks = ResNet.arch_settings[depth]
        self.add_module(
            f'layer{stage + 1}',
            _ResLayer(
                block,
                base_channels * 2**(stage - 1) * block.expansion,
                base_channels * 2**stage,
                stage_blocks[stage],
                stride=stride,
                dilation=dilation,
                style=style,
                with_cp=with_cp,
                norm_cfg=self.norm_cfg,
                dcn=dcn))

    res_layer.ResLayer.__init__ = narrow_init
    SHARED_HEADS.register_module('ScaledResLayer', module=res_layer.ResLayer)

    def conv2d(input, weight, *args, groups=1, **kwargs):
        # the released head has 2048 channels: groups=2048 is one group per
        # channel, which is what a narrower head needs too
        if groups == 2048:
            groups = input.shape[1]
        return F.conv2d(input, weight, *args, groups=groups, **kwargs)

    from mmcv.cnn import build_conv_layer

    from mmfewshot.detection.models.backbones import resnet_with_meta_conv
    meta_conv_init = resnet_with_meta_conv.ResNetWithMetaConv.__init__

    def narrow_meta_conv_init(self, **kwargs):
        # the released stem has 64 channels, which meta_conv hard-codes
        meta_conv_init(self, **kwargs)
        if self.stem_channels != 64:
            self.meta_conv = build_conv_layer(
                self.conv_cfg,
                4,
                self.stem_channels,
                kernel_size=7,
                stride=2,
                padding=3,
                bias=False)

    resnet_with_meta_conv.ResNetWithMetaConv.__init__ = narrow_meta_conv_init

    multi_relation_bbox_head.F = types.SimpleNamespace(**{
        name: getattr(F, name)
        for name in dir(F) if not name.startswith('__')
    })
    multi_relation_bbox_head.F.conv2d = conv2d
    return types.SimpleNamespace(
        mmcv=mmcv,
        mmdet=mmdet,
        mmfewshot=mmfewshot,
        build_detector=build_detector)


def without_pretrained(node):
    """The model config without ImageNet weights (``pretrained`` and
    ``Pretrained`` init configs): the weights are set afterwards, and
    nothing may download."""
    if isinstance(node, dict):
        for key in list(node):
            value = node[key]
            if key == 'pretrained':
                node[key] = None
            elif key == 'init_cfg' and isinstance(
                    value, dict) and value.get('type') == 'Pretrained':
                node[key] = None
            else:
                without_pretrained(value)
    elif isinstance(node, list):
        for value in node:
            without_pretrained(value)
    return node


def build_original(stack, repo: str, spec: dict):
    """The original's model from its release config with the shrink."""
    from mmcv import Config
    cfg = Config.fromfile(osp.join(repo, spec['config']))
    cfg.merge_from_dict(copy.deepcopy(spec['shrink']), allow_list_keys=True)
    model = stack.build_detector(
        without_pretrained(copy.deepcopy(cfg.model)), logger=None)
    return cfg, model


# ----------------------------------------------------------------- weights
def seeded_weights(model: torch.nn.Module, seed: int) -> None:
    """He-normal conv and linear weights, small biases, BN scales in (0.5,
    1) (the last BN of a residual block in (0.1, 0.3), so that the deep
    residual sums stay of unit scale), from a seeded generator."""
    generator = torch.Generator().manual_seed(seed)

    def draw(shape, scale, low=None):
        if low is None:
            return torch.randn(shape, generator=generator) * scale
        return torch.rand(shape, generator=generator) * scale + low

    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                if name.endswith('bn3'):
                    module.weight.copy_(draw(module.weight.shape, 0.2, 0.1))
                else:
                    module.weight.copy_(draw(module.weight.shape, 0.5, 0.5))
                module.bias.copy_(draw(module.bias.shape, 0.1))
            elif isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(
                    draw(module.weight.shape, (2. / fan_in)**0.5))
                if module.bias is not None:
                    module.bias.copy_(draw(module.bias.shape, 0.05))


def calibrate_norms(model: torch.nn.Module, run: Callable[[], object]) -> None:
    """Set the running statistics of every BN to those of its input in one
    pass of ``run`` (forward order), so that features stay of unit scale
    through the deep, randomly initialised network."""
    hooks = []

    def set_stats(module, inputs):
        x = inputs[0].detach()
        dims = [0] + list(range(2, x.dim()))
        module.running_mean.copy_(x.mean(dims))
        module.running_var.copy_(x.var(dims) + 1e-2)

    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            hooks.append(module.register_forward_pre_hook(set_stats))
    try:
        with torch.no_grad():
            run()
    finally:
        for hook in hooks:
            hook.remove()


def calibrate_outputs(model: torch.nn.Module, targets: Dict[str, float],
                      run: Callable[[], object]) -> None:
    """Scale the named layers so that their outputs have the target
    standard deviations on the inputs of ``run``."""
    modules = dict(model.named_modules())
    for _ in range(2):
        outputs: Dict[str, List[torch.Tensor]] = {name: [] for name in targets}
        hooks = [
            modules[name].register_forward_hook(
                lambda m, i, o, name=name: outputs[name].append(o.detach()))
            for name in targets
        ]
        try:
            with torch.no_grad():
                run()
        finally:
            for hook in hooks:
                hook.remove()
        with torch.no_grad():
            for name, target in targets.items():
                values = torch.cat([o.flatten() for o in outputs[name]])
                factor = target / max(float(values.std()), 1e-6)
                modules[name].weight.mul_(factor)
                if modules[name].bias is not None:
                    modules[name].bias.mul_(factor)


def calibrate_cosine(model: torch.nn.Module, name: str,
                     run: Callable[[], object], seed: int) -> None:
    """Rows of a cosine classifier that mix the mean direction of its
    input features with their main directions of variation, so that the
    scale-20 cosine scores prefer different classes for different RoIs."""
    layer = dict(model.named_modules())[name]
    features: List[torch.Tensor] = []
    hook = layer.register_forward_pre_hook(
        lambda m, i: features.append(i[0].detach()))
    try:
        with torch.no_grad():
            run()
    finally:
        hook.remove()
    x = torch.cat(features)
    x = x / x.norm(dim=1, keepdim=True).clamp(min=1e-6)
    mean = x.mean(0)
    centred = x - mean
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    directions = v[:4]
    spread = (centred @ directions.t()).std(0)
    generator = torch.Generator().manual_seed(seed)
    num_rows = layer.weight.shape[0]
    mix = torch.randn(num_rows, 4, generator=generator) / spread * 0.08
    offset = torch.rand(num_rows, 1, generator=generator) * 0.1
    rows = mean / mean.norm() * (0.5 + offset) + mix @ directions
    with torch.no_grad():
        layer.weight.copy_(rows)


# ------------------------------------------------------------------ inputs
def smooth_image(rng: np.random.Generator,
                 height: int,
                 width: int,
                 channels: int = 3) -> np.ndarray:
    """A uint8 image of blobs: low-resolution noise repeated 8 x 8."""
    small = rng.integers(0, 256, (height // 8, width // 8, channels))
    return np.repeat(np.repeat(small, 8, 0), 8, 1).astype(np.uint8)


def query_inputs(rng: np.random.Generator) -> dict:
    """Two query images with two boxes of one class each (the query-support
    wrappers reduce a query to one class; the same number of boxes gives
    every Attention-RPN pair the same number of RoIs, which the original's
    RoI head assumes)."""
    height, width = QUERY_SHAPE
    images, bboxes, labels = [], [], []
    for label, boxes in ((3, [[14., 20., 70., 100.],
                              [90., 10., 150.,
                               60.]]), (17, [[30., 40., 130., 120.],
                                             [4., 70., 40., 124.]])):
        images.append(smooth_image(rng, height, width))
        bboxes.append(np.array(boxes, dtype=np.float32))
        labels.append(np.full(len(boxes), label, dtype=np.int64))
    return dict(images=images, bboxes=bboxes, labels=labels)


def support_inputs(rng: np.random.Generator, labels: List[int],
                   size: int) -> dict:
    """A support instance of every label in ``labels``: an image of
    ``size`` x ``size`` and its box."""
    images, bboxes, support_labels = [], [], []
    for label in labels:
        images.append(smooth_image(rng, size, size))
        x1, y1 = rng.integers(2, size // 4, 2)
        x2, y2 = rng.integers(size // 2, size - 2, 2)
        bboxes.append(np.array([[x1, y1, x2, y2]], dtype=np.float32))
        support_labels.append(np.array([label], dtype=np.int64))
    return dict(images=images, bboxes=bboxes, labels=support_labels)


def mpsr_auxiliary(rng: np.random.Generator) -> dict:
    """An object crop (label 3 at even, 17 at odd scales) at each of MPSR's
    six scales, stored as its 8 x 8 blocks (``expand_blocks`` makes the
    crop)."""
    scales = (32, 64, 128, 256, 512, 800)
    return dict(
        scales=list(scales),
        blocks=[[rng.integers(0, 256, (s // 8, s // 8, 3)).astype(np.uint8)]
                for s in scales],
        labels=[np.array([3 if i % 2 == 0 else 17]) for i in range(6)])


def expand_blocks(blocks: np.ndarray) -> np.ndarray:
    """An image of 8 x 8 blocks (what :func:`smooth_image` makes)."""
    return np.repeat(np.repeat(blocks, 8, 0), 8, 1)


def as_blocks(inputs: dict) -> dict:
    """The inputs as stored: query and support images as their 8 x 8
    blocks (one pixel per block; the images are made of such blocks)."""
    stored = copy.deepcopy(inputs)
    for owner in (stored, stored.get('support')):
        if owner is not None:
            for image in owner['images']:
                assert (expand_blocks(image[::8, ::8]) == image).all()
            owner['images'] = [image[::8, ::8] for image in owner['images']]
    return stored


def img_meta(shape: Tuple[int, int],
             pad: Optional[Tuple[int, int]] = None,
             norm: Optional[dict] = None) -> dict:
    height, width = shape
    pad = pad or shape
    return dict(
        img_shape=(height, width, 3),
        ori_shape=(height, width, 3),
        pad_shape=(pad[0], pad[1], 3),
        batch_input_shape=tuple(pad),
        scale_factor=np.ones(4, dtype=np.float32),
        flip=False,
        flip_direction=None,
        img_norm_cfg=norm)


def normalise(images: List[np.ndarray], norm: dict) -> torch.Tensor:
    """The original's ``Normalize`` (mmcv.imnormalize), stacked NCHW."""
    import mmcv
    out = [
        mmcv.imnormalize(
            image.astype(np.float32), np.array(norm['mean'], np.float32),
            np.array(norm['std'], np.float32), norm['to_rgb'])
        for image in images
    ]
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous()


def with_mask(images: torch.Tensor, bboxes: List[np.ndarray]) -> torch.Tensor:
    """The original's ``GenerateMask`` on normalised supports: a 0/1 box
    mask as a fourth channel (box corners rounded down to pixels)."""
    masks = torch.zeros(images.shape[0], 1, *images.shape[2:])
    for mask, box in zip(masks, bboxes):
        x1, y1, x2, y2 = (int(v) for v in box[0])
        mask[:, y1:y2, x1:x2] = 1.
    return torch.cat([images, masks], 1)


def mask_image(bboxes: np.ndarray, size: int) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    x1, y1, x2, y2 = (int(v) for v in bboxes[0])
    mask[y1:y2, x1:x2] = 255
    return mask


# ----------------------------------------------------------------- outputs
def as_detections(per_class: List[np.ndarray],
                  class_ids: Optional[List[int]] = None) -> dict:
    """mmdet 2.x per-class (k, 5) arrays -> boxes, scores, labels.

    Args:
        per_class: The arrays, one per output class.
        class_ids: The class of each array; default its position.
    """
    bboxes, scores, labels = [], [], []
    for position, dets in enumerate(per_class):
        label = position if class_ids is None else class_ids[position]
        bboxes.append(torch.from_numpy(dets[:, :4]).float())
        scores.append(torch.from_numpy(dets[:, 4]).float())
        labels.append(torch.full((len(dets), ), label, dtype=torch.long))
    return dict(
        bboxes=torch.cat(bboxes),
        scores=torch.cat(scores),
        labels=torch.cat(labels))


def summed_losses(losses: dict) -> Dict[str, torch.Tensor]:
    """Every loss and accuracy as one float tensor (lists of levels
    summed, as mmdet's ``_parse_losses`` does)."""
    out = {}
    for key, value in losses.items():
        if isinstance(value, (list, tuple)):
            value = sum(v.sum() for v in value)
        out[key] = value.detach().float().reshape(-1).sum().clone()
    return out


# ------------------------------------------------------------------ runners
def calibrated_test(model, spec: dict, test_all: Callable[[], list],
                    seed: int) -> Tuple[list, Dict[str, torch.Tensor]]:
    """Calibrate the weights on the test pass, then run it.

    Returns:
        The results of ``test_all`` and the weights they came from (taken
        before training, whose BN layers in train mode, e.g. FSDetView's
        aggregators, update their running statistics).
    """
    model.eval()
    calibrate_norms(model, test_all)
    calibrate_outputs(model, spec['calibrate'], test_all)
    if spec.get('cosine'):
        calibrate_cosine(model, spec['cosine'], test_all, seed)
        # the cosine classifier renormalises its rows in place at every
        # forward (w / (|w| + eps)), settling at |w| = 1 - eps: one pass
        # before the recorded one, so that every test image used the rows
        # that are saved (else the first image's differ by ~eps)
        with torch.no_grad():
            test_all()
    with torch.no_grad():
        results = test_all()
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return results, weights


def query_batch(inputs: dict, norm: dict) -> dict:
    """Both query images with their boxes, as the training pipeline gives
    them."""
    return dict(
        img=normalise(inputs['images'], norm),
        img_metas=[img_meta(QUERY_SHAPE, norm=norm) for _ in inputs['images']],
        gt_bboxes=[torch.from_numpy(b) for b in inputs['bboxes']],
        gt_labels=[torch.from_numpy(lb) for lb in inputs['labels']])


def run_two_stage(model, cfg, inputs: dict, spec: dict, seed: int) -> tuple:
    """TFA, FSCE and MPSR: test each query image alone, then the losses of
    the batch of both (MPSR: with the object crops)."""
    norm = cfg.img_norm_cfg
    query = query_batch(inputs, norm)
    images, metas = query['img'], query['img_metas']

    def test_all():
        results = []
        for i in range(len(images)):
            feats = model.extract_feat(images[i:i + 1])
            proposals = model.rpn_head.simple_test_rpn(feats, metas[i:i + 1])
            dets = model.roi_head.simple_test(
                feats, proposals, metas[i:i + 1], rescale=False)[0]
            results.append((proposals[0], dets))
        return results

    results, weights = calibrated_test(model, spec, test_all, seed)
    outputs = dict(
        proposals=[p.clone() for p, _ in results],
        detections=[as_detections(d) for _, d in results])
    model.train()
    if spec['kind'] == 'mpsr':
        auxiliary = inputs['auxiliary']
        aux_data = {}
        for scale, blocks in enumerate(auxiliary['blocks']):
            size = auxiliary['scales'][scale]
            crops = [expand_blocks(b) for b in blocks]
            aux_data[f'img_scale_{scale}'] = normalise(crops, norm)
            aux_data[f'img_metas_scale_{scale}'] = [
                img_meta((size, size), norm=norm) for _ in crops
            ]
            aux_data[f'gt_labels_scale_{scale}'] = [
                torch.from_numpy(auxiliary['labels'][scale])
            ]
        losses = model(main_data=query, auxiliary_data=aux_data)
    else:
        losses = model.forward_train(**query)
    outputs['losses'] = summed_losses(losses)
    return outputs, weights


def _support_batch(support: dict, indices: List[int], norm: dict,
                   masked: bool) -> dict:
    images = normalise([support['images'][i] for i in indices], norm)
    bboxes = [support['bboxes'][i] for i in indices]
    if masked:
        images = with_mask(images, bboxes)
    size = images.shape[-1]
    return dict(
        img=images,
        img_metas=[img_meta((size, size), norm=norm) for _ in indices],
        gt_bboxes=[torch.from_numpy(b) for b in bboxes],
        gt_labels=[torch.from_numpy(support['labels'][i]) for i in indices])


def run_query_support(model, cfg, inputs: dict, spec: dict,
                      seed: int) -> tuple:
    """Meta R-CNN, FSDetView and Attention-RPN: model initialisation with
    the whole support set, test each query image alone, then the losses of
    the batch of both with its support batch."""
    norm = cfg.img_norm_cfg
    masked = spec['kind'] == 'meta_rcnn'
    query = query_batch(inputs, norm)
    images, metas = query['img'], query['img_metas']
    support = inputs['support']
    all_support = _support_batch(support, list(range(len(support['labels']))),
                                 norm, masked)

    def test_all():
        model.forward_model_init(**all_support)
        model.model_init()
        results = []
        for i in range(len(images)):
            feats = model.extract_feat(images[i:i + 1])
            if spec['kind'] == 'attention_rpn':
                proposals = {
                    label:
                    model.rpn_head.simple_test(feats,
                                               support_feats['res4_roi_feats'],
                                               metas[i:i + 1])[0]
                    for label, support_feats in
                    model.inference_support_dict.items()
                }
            else:
                proposals = model.rpn_head.simple_test(feats,
                                                       metas[i:i + 1])[0]
            dets = model.simple_test(
                images[i:i + 1], metas[i:i + 1], rescale=False)[0]
            results.append((proposals, dets))
        return results

    results, weights = calibrated_test(model, spec, test_all, seed)
    class_ids = None
    if spec['kind'] == 'attention_rpn':
        proposals = [{
            int(k): v.clone()
            for k, v in p.items()
        } for p, _ in results]
        # the original's Attention-RPN lists the detections of the support
        # classes in label order, one list per class, without the labels
        class_ids = sorted(model.inference_support_dict)
    else:
        proposals = [p.clone() for p, _ in results]
    outputs = dict(
        proposals=proposals,
        detections=[as_detections(d, class_ids) for _, d in results])
    model.train()
    support_data = _support_batch(support, inputs['train_support'], norm,
                                  masked)
    losses = model(query_data=query, support_data=support_data, mode='train')
    outputs['losses'] = summed_losses(losses)
    return outputs, weights


RUNNERS = dict(
    fine_tune=run_two_stage,
    mpsr=run_two_stage,
    meta_rcnn=run_query_support,
    attention_rpn=run_query_support)


# -------------------------------------------------------------------- main
def tensors(value):
    """numpy -> torch, recursively (fixtures load with weights_only)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, dict):
        return {k: tensors(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [tensors(v) for v in value]
    return value


def original_meta(stack, spec: dict, inputs: dict) -> dict:
    """The meta the original's training writes: CLASSES and, for
    query-support detectors, the support set as mmdet 2.x data infos."""
    meta = dict(CLASSES=VOC_SPLIT1)
    support = inputs.get('support')
    if support is None:
        return meta
    infos = []
    for index, (bboxes, labels) in enumerate(
            zip(support['bboxes'], support['labels'])):
        # a VOC file's box is the original's box + (1, 1, 0, 0)
        infos.append(
            dict(
                id=f'{index:06d}',
                filename=f'VOC2007/JPEGImages/{index:06d}.jpg',
                width=int(support['images'][index].shape[1]),
                height=int(support['images'][index].shape[0]),
                ann=dict(
                    bboxes=bboxes.astype(np.float32),
                    labels=labels.astype(np.int64),
                    bboxes_ignore=np.zeros((0, 4), np.float32),
                    labels_ignore=np.zeros((0, ), np.int64))))
    meta['model_init_ann_cfg'] = [dict(data_infos=infos)]
    return meta


def save_weights(stack, model, meta: dict, path: str,
                 mmcv_format: bool) -> None:
    """The state dict under the original's names. ``mmcv_format``: as
    mmcv 1.x's ``save_checkpoint`` writes it (meta an mmcv ConfigDict with
    ``mmcv_version`` and ``time``); else plain (meta a dict of lists)."""
    if mmcv_format:
        from mmcv import ConfigDict
        from mmcv.runner import save_checkpoint
        save_checkpoint(model, path, meta=ConfigDict(meta))
        return
    # tensors of a module registered twice (support_backbone) share storage
    state_dict = model.state_dict()
    plain = dict(CLASSES=list(meta['CLASSES']))
    torch.save(dict(state_dict=state_dict, meta=plain), path)


def generate(stack, repo: str, method: str, out_root: str) -> float:
    spec = SPECS[method]
    start = time.time()
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    rng = np.random.default_rng([SEED, sorted(SPECS).index(method)])
    with open(os.devnull, 'w') as devnull, \
            contextlib.redirect_stdout(devnull):
        cfg, model = build_original(stack, repo, spec)
    seeded_weights(model, SEED)
    inputs = query_inputs(rng)
    if spec['kind'] == 'meta_rcnn':
        # every class (the original's test needs a vector of each), two
        # instances of the query classes 3 and 17
        inputs['support'] = support_inputs(rng, list(range(20)) + [3, 17], 64)
        inputs['support']['masks'] = [
            mask_image(b, 64) for b in inputs['support']['bboxes']
        ]
        # the fine-tuning support batch: one instance of each class
        inputs['train_support'] = list(range(20))
    elif spec['kind'] == 'attention_rpn':
        # six classes (the test runs class by class), two instances of the
        # query classes 3 and 17
        inputs['support'] = support_inputs(rng, [0, 2, 3, 5, 11, 17, 3, 17],
                                           64)
        # ways x shots per query image: the query's class, then another
        # (indices into the support instances: labels 3, 5, 17, 2)
        inputs['train_support'] = [2, 3, 5, 1]
    elif spec['kind'] == 'mpsr':
        inputs['auxiliary'] = mpsr_auxiliary(rng)
    outputs, weights = RUNNERS[spec['kind']](model, cfg, inputs, spec, SEED)
    # the weights of the test outputs (training updated BN statistics)
    model.load_state_dict(weights)
    folder = osp.join(out_root, method)
    os.makedirs(folder, exist_ok=True)
    meta = original_meta(stack, spec, inputs)
    save_weights(
        stack,
        model,
        meta,
        osp.join(folder, 'weights.pth'),
        mmcv_format=method == 'meta_rcnn')
    golden = dict(
        method=method,
        config=spec['config'],
        shrink=copy.deepcopy(spec['shrink']),
        classes=list(VOC_SPLIT1),
        img_norm_cfg=dict(
            mean=[float(v) for v in cfg.img_norm_cfg['mean']],
            std=[float(v) for v in cfg.img_norm_cfg['std']],
            to_rgb=bool(cfg.img_norm_cfg['to_rgb'])),
        inputs=tensors(as_blocks(inputs)),
        outputs=outputs,
        generated_with=dict(
            mmfewshot=str(stack.mmfewshot.__version__),
            mmdet=str(stack.mmdet.__version__),
            mmcv=str(stack.mmcv.__version__),
            torch=str(torch.__version__),
            seed=SEED))
    torch.save(golden, osp.join(folder, 'golden.pth'))
    return time.time() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--original-repo',
        required=True,
        help='checkout of open-mmlab/mmfewshot at tag v0.1.0 (its configs)')
    parser.add_argument(
        '--out', default=DEFAULT_OUT, help='fixture folder to write')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=sorted(SPECS),
        default=sorted(SPECS),
        help='methods to generate (default: all)')
    args = parser.parse_args(argv)
    if not osp.isdir(osp.join(args.original_repo, 'configs', 'detection')):
        parser.error(f'--original-repo {args.original_repo} has no '
                     'configs/detection')
    stack = import_original()
    # the original's init logs every parameter
    logging.getLogger('mmcv').setLevel(logging.WARNING)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    for method in args.methods:
        seconds = generate(stack, args.original_repo, method, args.out)
        print(f'{method}: {seconds:.1f} s', flush=True)


if __name__ == '__main__':
    main()
