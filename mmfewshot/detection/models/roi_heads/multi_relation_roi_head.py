"""The RoI head of Attention-RPN: proposals scored against support RoI
features, class-agnostically."""
from typing import Dict, List, Sequence

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import empty_instances, unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from mmengine.structures import InstanceData
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from ..utils import support_rois
from .sampling import assign_and_sample, rois_per_image


def _rois_of(boxes: Sequence[Tensor], image_ids: Sequence[int]) -> Tensor:
    """``(image index, x1, y1, x2, y2)`` RoIs of box lists that belong to
    the given images (several lists may share an image)."""
    return torch.cat([
        torch.cat([box.new_full((len(box), 1), image_id), box[:, :4]], 1)
        for box, image_id in zip(boxes, image_ids)
    ])


@MODELS.register_module()
class MultiRelationRoIHead(StandardRoIHead):
    """RoI head of `Attention-RPN <https://arxiv.org/abs/1908.01998>`_ (Fan
    et al., CVPR 2020).

    Proposals of a query-support pair are scored by
    :class:`MultiRelationBBoxHead` against the pair's support feature: the
    res5 RoI features of the support boxes (``shared_head``), averaged over
    the shots. Labels are binary (0: the support's class).

    Training: the pairs are those of :class:`AttentionRPNHead` (positive
    pairs of all images, then the negative pairs). Every query annotation is
    foreground of its positive pair; in negative pairs every RoI is
    background without a box target. The RoIs of a pair are sampled from
    its own proposals and the query image's annotations, and their features
    are cut from the query image's features (no copies per pair).

    Test: every (image, class) pair scores its own proposals against the
    cached support feature of its class; the detections of every class are
    post-processed (NMS, ``max_per_img``) on their own, labelled with the
    class and put together per image.

    Args:
        num_support_ways: Ways per query image in training.
        num_support_shots: Shots per way in training.
        sample_fractions: Shares of the classification loss, see
            :class:`MultiRelationBBoxHead`.
        **kwargs: Arguments of ``StandardRoIHead``.
    """

    def __init__(self,
                 num_support_ways: int = 2,
                 num_support_shots: int = 5,
                 sample_fractions: Sequence[float] = (1, 2, 1),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_support_ways = num_support_ways
        self.num_support_shots = num_support_shots
        self.sample_fractions = tuple(sample_fractions)

    def extract_roi_feat(self, feats: Sequence[Tensor],
                         rois: Tensor) -> Tensor:
        """RoI features through the shared head.

        Args:
            feats: Features, level by level.
            rois: (n, 5) RoIs.

        Returns:
            (n, C, 7, 7) features.
        """
        roi_feats = self.bbox_roi_extractor(
            feats[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            roi_feats = self.shared_head(roi_feats)
        return roi_feats

    def _score_pairs(self, roi_feats: Tensor, counts: Sequence[int],
                     support_feats: Tensor) -> Dict[str, Tensor]:
        """Scores of the RoIs of every pair against its support feature.

        Args:
            roi_feats: RoI features of all pairs, pair by pair.
            counts: RoIs of every pair.
            support_feats: One support feature per pair, (P, C, 7, 7).
        """
        scores, deltas = [], []
        for feats, support in zip(
                roi_feats.split(list(counts)), support_feats):
            cls_score, bbox_pred = self.bbox_head(feats, support[None])
            scores.append(cls_score)
            deltas.append(bbox_pred)
        return dict(cls_score=torch.cat(scores), bbox_pred=torch.cat(deltas))

    def loss(self, query_feats: Sequence[Tensor],
             support_feats: Sequence[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList,
             support_data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of all query-support pairs of a batch.

        Args:
            query_feats: Query features.
            support_feats: Support features.
            rpn_results_list: Proposals of every pair (positive pairs, then
                negative pairs image by image).
            batch_data_samples: Query samples.
            support_data_samples: Support samples, image by image, way by
                way, shot by shot.

        Returns:
            ``loss_cls``, ``acc`` and ``loss_bbox``.
        """
        num_images = len(batch_data_samples)
        num_ways, num_shots = self.num_support_ways, self.num_support_shots
        image_ids = list(range(num_images)) + [
            i for i in range(num_images) for _ in range(num_ways - 1)
        ]
        batch_gt_instances, batch_gt_instances_ignore, _ = \
            unpack_gt_instances(batch_data_samples)
        binary = []
        for gt_instances in batch_gt_instances:
            gt_instances = gt_instances.clone()
            gt_instances.labels = torch.zeros_like(gt_instances.labels)
            binary.append(gt_instances)
        pair_gt = [binary[i] for i in image_ids]
        pair_ignore = [batch_gt_instances_ignore[i] for i in image_ids]
        sampling_results = assign_and_sample(self, query_feats,
                                             rpn_results_list, pair_gt,
                                             pair_ignore, image_ids)
        counts = rois_per_image(sampling_results)
        rois = _rois_of([res.priors for res in sampling_results], image_ids)
        roi_feats = self.extract_roi_feat(query_feats, rois)
        supports = self.extract_roi_feat(
            support_feats, support_rois(support_data_samples)).reshape(
                num_images, num_ways, num_shots, *roi_feats.shape[1:]).mean(2)
        pair_supports = torch.cat(
            [supports[:, 0], supports[:, 1:].flatten(0, 1)])
        results = self._score_pairs(roi_feats, counts, pair_supports)
        labels, label_weights, bbox_targets, bbox_weights = \
            self.bbox_head.get_targets(sampling_results, self.train_cfg)
        num_pos_pair_samples = sum(counts[:num_images])
        labels[num_pos_pair_samples:] = self.bbox_head.num_classes
        bbox_weights[num_pos_pair_samples:] = 0
        return self.bbox_head.loss(
            results['cls_score'],
            results['bbox_pred'],
            rois,
            labels,
            label_weights,
            bbox_targets,
            bbox_weights,
            num_pos_pair_samples=num_pos_pair_samples,
            sample_fractions=self.sample_fractions)

    def predict_with_support(self,
                             query_feats: Sequence[Tensor],
                             rpn_results_list: InstanceList,
                             batch_data_samples: SampleList,
                             support_feats: Tensor,
                             labels: List[int],
                             rescale: bool = False) -> InstanceList:
        """Detections of every image for every cached class.

        Args:
            query_feats: Query features.
            rpn_results_list: Proposals of every (image, class) pair, image
                by image, class by class.
            batch_data_samples: Query samples.
            support_feats: The cached support feature of every class, (K,
                C, 7, 7), in the order of ``labels``.
            labels: The class label of every support feature.
            rescale: Boxes in original image coordinates.

        Returns:
            One ``InstanceData`` per image, detections of all classes.
        """
        num_ways = len(labels)
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        image_ids = [
            i for i in range(len(batch_data_samples)) for _ in range(num_ways)
        ]
        proposals = [res.bboxes for res in rpn_results_list]
        counts = [len(p) for p in proposals]
        if sum(counts) == 0:
            return empty_instances(
                batch_img_metas,
                query_feats[0].device,
                task_type='bbox',
                num_classes=self.bbox_head.num_classes)
        rois = _rois_of(proposals, image_ids)
        roi_feats = self.extract_roi_feat(query_feats, rois)
        results = self._score_pairs(
            roi_feats, counts,
            support_feats.repeat(len(batch_img_metas), 1, 1, 1))
        pair_results = self.bbox_head.predict_by_feat(
            rois=rois.split(counts),
            cls_scores=results['cls_score'].split(counts),
            bbox_preds=results['bbox_pred'].split(counts),
            batch_img_metas=[batch_img_metas[i] for i in image_ids],
            rcnn_test_cfg=self.test_cfg,
            rescale=rescale)
        results_list = []
        for i in range(len(batch_img_metas)):
            per_class = pair_results[i * num_ways:(i + 1) * num_ways]
            for result, label in zip(per_class, labels):
                result.labels = torch.full_like(result.labels, label)
            results_list.append(InstanceData.cat(per_class))
        return results_list
