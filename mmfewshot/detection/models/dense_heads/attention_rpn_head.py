"""The RPN of Attention-RPN: proposals of query features re-weighted by a
support class."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.models.task_modules.samplers import PseudoSampler
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from ..utils import support_rois


@MODELS.register_module()
class AttentionRPNHead(RPNHead):
    """RPN head of `Attention-RPN <https://arxiv.org/abs/1908.01998>`_ (Fan
    et al., CVPR 2020).

    A support class is one kernel per channel: the RoI features of its
    support boxes (``roi_extractor``, RoIAlign 14 on res4), averaged over
    the shots and over space. The query features are correlated depth-wise
    with that kernel (``aggregation_layer``) and mmdet's RPN runs on the
    result, so the proposals are those of objects like the support.

    Training: every query image is paired with its own class (way 0 of its
    support batch, a positive pair) and with the ``num_support_ways - 1``
    other classes (negative pairs); all pairs go through the RPN at once,
    positive pairs first. The anchors of negative pairs are all background
    (their box targets get weight 0; without sampling, their positives
    leave the loss normaliser) and their proposals feed the RoI head.

    Test: the query features of every image are correlated with the kernel
    of every cached class in one batch, giving one proposal list per
    (image, class), image by image.

    Args:
        num_support_ways: Classes per query image in training (1 positive,
            the others negative).
        num_support_shots: Support instances per class in training.
        aggregation_layer: Config of the :class:`AggregationLayer` (its
            first output is used).
        roi_extractor: Config of the RoI extractor of support boxes.
        **kwargs: Arguments of mmdet's ``RPNHead``.
    """

    # the detector passes support features to loss_and_predict
    conditioned_on_support = True

    def __init__(self,
                 num_support_ways: int,
                 num_support_shots: int,
                 aggregation_layer: Optional[dict] = None,
                 roi_extractor: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_support_ways = num_support_ways
        self.num_support_shots = num_support_shots
        self.aggregation_layer = MODELS.build(
            aggregation_layer or dict(
                type='AggregationLayer',
                aggregator_cfgs=[
                    dict(
                        type='DepthWiseCorrelationAggregator',
                        in_channels=self.in_channels)
                ]))
        self.roi_extractor = MODELS.build(
            roi_extractor or dict(
                type='SingleRoIExtractor',
                roi_layer=dict(
                    type='RoIAlign', output_size=14, sampling_ratio=0),
                out_channels=self.in_channels,
                featmap_strides=[16]))

    def extract_roi_feat(self, feats: Sequence[Tensor],
                         rois: Tensor) -> Tensor:
        """RoI features of support boxes.

        Args:
            feats: Support features, level by level.
            rois: (n, 5) RoIs.

        Returns:
            (n, C, 14, 14) features.
        """
        return self.roi_extractor(feats[:self.roi_extractor.num_inputs], rois)

    def support_kernels(self, support_feats: Sequence[Tensor],
                        support_data_samples: SampleList) -> Tensor:
        """One kernel per support instance: its RoI feature averaged over
        space, (n, C, 1, 1)."""
        rois = support_rois(support_data_samples)
        return self.extract_roi_feat(support_feats, rois).mean((2, 3),
                                                               keepdim=True)

    def _rpn_outputs(self, query_feat: Tensor, kernels: Tensor) -> tuple:
        """RPN scores and deltas of query features correlated with one
        kernel each (the query rows are paired with the kernel rows)."""
        return self([self.aggregation_layer(query_feat, kernels)[0]])

    def loss_and_predict(
        self,
        query_feats: Sequence[Tensor],
        support_feats: Sequence[Tensor],
        batch_data_samples: SampleList,
        support_data_samples: SampleList,
        proposal_cfg: Optional[dict] = None
    ) -> Tuple[Dict[str, Tensor], InstanceList]:
        """RPN losses and proposals of all query-support pairs.

        Args:
            query_feats: Query features (one level, res4).
            support_feats: Support features.
            batch_data_samples: Query samples (labels already 0).
            support_data_samples: Support samples, query by query, way by
                way (way 0 the query's class), shot by shot.
            proposal_cfg: Proposal settings.

        Returns:
            The losses and one proposal list per pair: the positive pairs of
            all images, then the negative pairs, image by image.
        """
        num_images = len(batch_data_samples)
        num_ways, num_shots = self.num_support_ways, self.num_support_shots
        if len(support_data_samples) != num_images * num_ways * num_shots:
            raise ValueError(
                f'{type(self).__name__}: {len(support_data_samples)} support '
                f'instances for {num_images} query images, expected '
                f'{num_ways} ways x {num_shots} shots per image '
                '(num_support_ways / num_support_shots of the head and the '
                'dataset must agree)')
        query_feat = query_feats[0]
        kernels = self.support_kernels(support_feats,
                                       support_data_samples).reshape(
                                           num_images, num_ways, num_shots, -1,
                                           1, 1).mean(2)
        pair_query = torch.cat(
            [query_feat,
             query_feat.repeat_interleave(num_ways - 1, dim=0)])
        pair_kernels = torch.cat([kernels[:, 0], kernels[:, 1:].flatten(0, 1)])
        outs = self._rpn_outputs(pair_query, pair_kernels)
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = \
            unpack_gt_instances(batch_data_samples)
        # negative pairs: the image's own annotations, every anchor negative
        negative_metas = [
            dict(meta, negative_pair=True) for meta in batch_img_metas
            for _ in range(num_ways - 1)
        ]
        losses = self.loss_by_feat(
            *outs,
            batch_gt_instances + _repeat(batch_gt_instances, num_ways - 1),
            batch_img_metas + negative_metas, batch_gt_instances_ignore +
            _repeat(batch_gt_instances_ignore, num_ways - 1))
        proposals = self.predict_by_feat(
            *outs,
            batch_img_metas=batch_img_metas + negative_metas,
            cfg=proposal_cfg)
        return losses, proposals

    def get_targets(self, anchor_list: List[List[Tensor]],
                    valid_flag_list: List[List[Tensor]],
                    batch_gt_instances: InstanceList,
                    batch_img_metas: List[dict], *args, **kwargs) -> tuple:
        """mmdet's targets, with every anchor of a negative pair (image
        meta ``negative_pair``) turned into background without a box
        target."""
        targets = super().get_targets(anchor_list, valid_flag_list,
                                      batch_gt_instances, batch_img_metas,
                                      *args, **kwargs)
        negative = torch.tensor(
            [bool(meta.get('negative_pair')) for meta in batch_img_metas])
        if not negative.any():
            return targets
        labels_list, label_weights_list, bbox_targets_list, \
            bbox_weights_list, avg_factor = targets[:5]
        flipped = 0
        for labels, label_weights, bbox_weights in zip(labels_list,
                                                       label_weights_list,
                                                       bbox_weights_list):
            rows = negative.to(labels.device)
            foreground = (labels[rows] < self.num_classes) & \
                (label_weights[rows] > 0)
            flipped += int(foreground.sum())
            labels[rows] = self.num_classes
            bbox_weights[rows] = 0
        if isinstance(self.sampler, PseudoSampler):
            # the normaliser counts positives only
            avg_factor = max(avg_factor - flipped, 1)
        return (labels_list, label_weights_list, bbox_targets_list,
                bbox_weights_list, avg_factor) + tuple(targets[5:])

    def predict_with_support(self, query_feats: Sequence[Tensor],
                             kernels: Tensor,
                             batch_data_samples: SampleList) -> InstanceList:
        """Proposals of every image for every support class, in one pass.

        Args:
            query_feats: Query features (one level).
            kernels: One kernel per class, (K, C, 1, 1).
            batch_data_samples: Query samples.

        Returns:
            ``B * K`` proposal lists in input coordinates: image by image,
            class by class.
        """
        query_feat = query_feats[0]
        num_ways = len(kernels)
        outs = self._rpn_outputs(
            query_feat.repeat_interleave(num_ways, dim=0),
            kernels.repeat(len(query_feat), 1, 1, 1))
        batch_img_metas = [
            sample.metainfo for sample in batch_data_samples
            for _ in range(num_ways)
        ]
        return self.predict_by_feat(
            *outs, batch_img_metas=batch_img_metas, rescale=False)


def _repeat(items: list, times: int) -> list:
    """Every item ``times`` times in a row (shallow)."""
    return [copy.copy(item) for item in items for _ in range(times)]
