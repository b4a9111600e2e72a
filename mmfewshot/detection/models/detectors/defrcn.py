"""DeFRCN: Faster R-CNN whose heads are decoupled from the backbone, with
test-time prototypical calibration."""
import copy
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError
from ..layers import PrototypicalCalibrationBlock
from ..utils import FrozenParametersMixin

# the metainfo key of the image as loaded (KeepOriginalImage's default)
ORIGINAL_IMAGE_KEY = 'ori_img'


@MODELS.register_module()
class DeFRCN(FrozenParametersMixin, TwoStageDetector):
    """`DeFRCN <https://arxiv.org/abs/2108.09017>`_ (Qiao et al., *DeFRCN:
    Decoupled Faster R-CNN for Few-Shot Object Detection*, ICCV 2021).

    mmdet's Faster R-CNN (the authors: R101-C4) with a
    :class:`GradientDecoupledLayer` between the backbone and the RPN
    (``rpn_gdl``) and one between the backbone and the RoI head
    (``roi_gdl``): each head reads its own affine map of the backbone
    features, and the gradient each head sends back into the backbone is
    scaled by the layer's ``backward_scale``. Fine-tuning adds dropout in
    front of the classifier (:class:`ClsDropoutBBoxHead`) and freezes the
    RoI feature extractor (``frozen_parameters``).

    With ``calibration`` (a :class:`PrototypicalCalibrationBlock`), every
    prediction is re-scored by the similarity of its box to the prototype
    of its class. The prototypes come from the few-shot support set through
    model initialisation, as for the query-support detectors: the
    validation and test loops ``QuerySupportValLoop`` /
    ``QuerySupportTestLoop`` feed the support boxes (images at their
    original resolution) with ``mode='model_init'`` and call
    :meth:`model_init`. The calibration needs the test image as loaded
    (``KeepOriginalImage`` in the test pipeline, ``'ori_img'`` in the
    ``meta_keys`` of ``PackDetInputs``) and a
    ``QuerySupportDataPreprocessor``, whose ``support`` settings normalise
    the images of the calibration.

    Args:
        rpn_gdl: Config of the layer in front of the RPN, or None for none.
        roi_gdl: Config of the layer in front of the RoI head, or None.
        calibration: Config of the calibration block, or None for none.
        frozen_parameters: Prefixes of the parameters to freeze
            (:class:`FrozenParametersMixin`); they may name the decoupled
            layers.
        freeze_norm_stats: Keep normalisation layers of frozen parts in
            eval mode.
        **kwargs: Arguments of mmdet's ``TwoStageDetector`` (``backbone``,
            ``neck``, ``rpn_head``, ``roi_head``, ``train_cfg``,
            ``test_cfg``, ``data_preprocessor``, ``init_cfg``).

    Raises:
        ConfigError: without an RPN, or with a calibration block and a data
            preprocessor that has no support path.
    """

    def __init__(self,
                 rpn_gdl: Optional[dict] = None,
                 roi_gdl: Optional[dict] = None,
                 calibration: Optional[dict] = None,
                 frozen_parameters: Optional[Sequence[str]] = None,
                 freeze_norm_stats: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not self.with_rpn:
            raise ConfigError('DeFRCN needs an rpn_head')
        self.rpn_gdl = MODELS.build(rpn_gdl) if rpn_gdl else None
        self.roi_gdl = MODELS.build(roi_gdl) if roi_gdl else None
        self.calibration: Optional[PrototypicalCalibrationBlock] = \
            MODELS.build(calibration) if calibration else None
        if self.calibration is not None and not hasattr(
                self.data_preprocessor, 'preprocess_support'):
            raise ConfigError(
                'DeFRCN with a calibration block needs data_preprocessor '
                "type='QuerySupportDataPreprocessor': its `support` settings "
                'normalise the images of the calibration')
        # frozen only now: the prefixes may name the decoupled layers
        self.freeze_parameters(frozen_parameters, freeze_norm_stats)

    # ------------------------------------------------------------ features
    def decouple(
        self, feats: Tuple[Tensor, ...]
    ) -> Tuple[Tuple[Tensor, ...], Tuple[Tensor, ...]]:
        """The features each head reads.

        Args:
            feats: Backbone (and neck) features, level by level.

        Returns:
            The features of the RPN and those of the RoI head, each through
            its decoupled layer when there is one.
        """
        rpn_feats = feats if self.rpn_gdl is None else tuple(
            self.rpn_gdl(feat) for feat in feats)
        roi_feats = feats if self.roi_gdl is None else tuple(
            self.roi_gdl(feat) for feat in feats)
        return rpn_feats, roi_feats

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        """Losses of a batch, as Faster R-CNN's with decoupled features.

        Args:
            batch_inputs: Images, (N, C, H, W).
            batch_data_samples: Their samples with ``gt_instances``.

        Returns:
            The RPN losses (``loss_rpn_*``) and the RoI head's losses.
        """
        rpn_feats, roi_feats = self.decouple(self.extract_feat(batch_inputs))
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        # the RPN is class-agnostic
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for data_sample in rpn_data_samples:
            data_sample.gt_instances.labels = torch.zeros_like(
                data_sample.gt_instances.labels)
        rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
            rpn_feats, rpn_data_samples, proposal_cfg=proposal_cfg)
        losses = {
            key if 'rpn' in key or 'loss' not in key else f'rpn_{key}': value
            for key, value in rpn_losses.items()
        }
        losses.update(
            self.roi_head.loss(roi_feats, rpn_results_list,
                               batch_data_samples))
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detections of a batch, calibrated when there is a calibration
        block.

        Args:
            batch_inputs: Images, (N, C, H, W).
            batch_data_samples: Their samples (``metainfo``; with
                calibration also the image as loaded under ``'ori_img'``,
                which is removed from the samples).
            rescale: Return boxes in original image coordinates; the
                calibration needs True.

        Returns:
            The samples with ``pred_instances`` (``bboxes``, ``scores``,
            ``labels``).

        Raises:
            ValueError: calibrating with ``rescale=False``.
            ConfigError: calibrating without the image as loaded.
        """
        rpn_feats, roi_feats = self.decouple(self.extract_feat(batch_inputs))
        rpn_results_list = self.rpn_head.predict(
            rpn_feats, batch_data_samples, rescale=False)
        results_list = self.roi_head.predict(
            roi_feats, rpn_results_list, batch_data_samples, rescale=rescale)
        original_images = [
            data_sample.metainfo.get(ORIGINAL_IMAGE_KEY)
            for data_sample in batch_data_samples
        ]
        for data_sample in batch_data_samples:
            # a copy of every test image is no result to keep
            if ORIGINAL_IMAGE_KEY in data_sample.metainfo_keys():
                delattr(data_sample, ORIGINAL_IMAGE_KEY)
        if self.calibration is not None:
            if not rescale:
                raise ValueError('DeFRCN calibrates boxes in original image '
                                 'coordinates: predict with rescale=True')
            self.calibrate(results_list, original_images, batch_data_samples)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

    def calibrate(self, results_list: InstanceList,
                  original_images: Sequence[Optional[np.ndarray]],
                  batch_data_samples: SampleList) -> None:
        """Re-score the detections of every image in place.

        Args:
            results_list: One ``InstanceData`` per image, boxes in original
                image coordinates.
            original_images: The images as loaded, H x W x C (BGR).
            batch_data_samples: Their samples (for messages).

        Raises:
            ConfigError: when an image as loaded is missing.
        """
        for results, image, data_sample in zip(results_list, original_images,
                                               batch_data_samples):
            if image is None:
                raise ConfigError(
                    'DeFRCN calibration needs the test image as loaded: put '
                    "dict(type='KeepOriginalImage') after LoadImageFromFile "
                    "in the test pipeline and 'ori_img' in the meta_keys of "
                    'PackDetInputs (image '
                    f'{data_sample.metainfo.get("img_path")})')
            if len(results) == 0:
                continue
            chw = torch.from_numpy(
                np.ascontiguousarray(image.transpose(2, 0, 1)))
            inputs = self.data_preprocessor.preprocess_support(
                dict(inputs=[chw]))['inputs']
            results.scores = self.calibration.rescore(inputs, results.bboxes,
                                                      results.scores,
                                                      results.labels)

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: Optional[SampleList] = None) -> tuple:
        """The RoI head's raw outputs on the RPN's proposals (no
        post-processing, no calibration)."""
        rpn_feats, roi_feats = self.decouple(self.extract_feat(batch_inputs))
        rpn_results_list = self.rpn_head.predict(
            rpn_feats, batch_data_samples, rescale=False)
        return (self.roi_head.forward(roi_feats, rpn_results_list,
                                      batch_data_samples), )

    # ---------------------------------------------------- model initialising
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor') -> Union[dict, list, tuple, Tensor]:
        """mmdet's modes ``'loss'``, ``'predict'`` and ``'tensor'``, and
        ``'model_init'``: support images ``inputs`` with their boxes, whose
        embeddings are added to the calibration's class sums (returned).
        Without a calibration block the support set is not used, so the
        loops of the calibrated configs also run with
        ``model.calibration=None``.
        """
        if mode == 'model_init':
            return self.forward_model_init(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def forward_model_init(self, inputs: Tensor,
                           data_samples: SampleList) -> Tensor:
        """Add the support boxes of a batch to the calibration's sums
        (nothing to do without a calibration block).

        Args:
            inputs: Support images normalised by the support path of the
                data preprocessor, (N, 3, H, W).
            data_samples: Their samples; every box of ``gt_instances`` is a
                support instance of its label.

        Returns:
            The embeddings of the boxes, (number of boxes, D); (0, 0)
            without a calibration block.
        """
        if self.calibration is None:
            return inputs.new_zeros((0, 0))
        boxes = [sample.gt_instances.bboxes for sample in data_samples]
        labels = torch.cat(
            [sample.gt_instances.labels for sample in data_samples])
        return self.calibration.add_support(inputs, boxes, labels)

    def model_init(self) -> None:
        """Turn the support sums into class prototypes; the classes to
        calibrate come from ``dataset_meta`` (the support set's, set by
        model initialisation)."""
        if self.calibration is not None:
            self.calibration.build_prototypes(
                getattr(self, 'dataset_meta', None))

    def reset_model_init(self) -> None:
        """Forget the prototypes and the support sums."""
        if self.calibration is not None:
            self.calibration.reset()

    @property
    def support_cache(self) -> dict:
        """The class prototypes ``{label: (D, ) embedding}`` (empty without
        calibration or before model initialisation)."""
        if self.calibration is None:
            return {}
        return self.calibration.prototypes

    def init_weights(self) -> None:
        """Initialise the detector; load the calibration's classifier, so
        that a missing weights file stops a training run before it
        starts."""
        super().init_weights()
        if self.calibration is not None:
            self.calibration.load_weights()
