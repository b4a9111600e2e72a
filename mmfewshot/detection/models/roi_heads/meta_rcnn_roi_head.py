"""The RoI head of Meta R-CNN: RoI features re-weighted channel-wise by the
class-attentive vector of a support class."""
from typing import Dict, List, Sequence

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import empty_instances, unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import InstanceList
from torch import Tensor

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError
from ..utils import support_labels
from .sampling import assign_and_sample, rois_per_image


@MODELS.register_module()
class MetaRCNNRoIHead(StandardRoIHead):
    """RoI head of `Meta R-CNN <https://arxiv.org/abs/1909.13032>`_ (Yan et
    al., ICCV 2019).

    A query RoI feature (res5, spatially averaged, :class:`MetaRCNNResLayer`)
    is aggregated with the support vector of one class
    (``aggregation_layer``, Meta R-CNN: element-wise product) and the box
    head predicts from the result.

    Training: for every query image one ground-truth instance is drawn at
    random (torch's generator); its RoIs are aggregated with every support
    vector of that class in the batch, and the box losses of these pairs
    are summed and divided by the number of images (``acc`` is their
    mean). A query whose drawn class has no support vector in the batch
    adds nothing (the original toolbox crashed when no image had one; here
    the box losses are then zero, still connected to the head's weights).
    The meta-classification loss of :class:`MetaBBoxHead` is added on all
    support vectors.

    Test: the RoIs of all images are aggregated with the cached vector of
    every class at once; the score of class ``c`` is column ``c`` of the
    pass with class ``c``'s vector, its box the ``c``-th class-specific
    box; the background score is the mean of the background columns of all
    passes. Classes without a cached vector get no score (``-inf`` before
    the softmax). Then mmdet's ``predict_by_feat`` (softmax, decoding,
    NMS).

    Args:
        aggregation_layer: Config of the :class:`AggregationLayer`.
        **kwargs: Arguments of ``StandardRoIHead`` (``bbox_roi_extractor``,
            ``bbox_head``, ``shared_head``, ``train_cfg``, ``test_cfg``,
            ``init_cfg``).
    """

    def __init__(self, aggregation_layer: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.bbox_head.reg_class_agnostic:
            raise ConfigError(
                f'{type(self).__name__} predicts the box of class c from '
                "class c's support vector: bbox_head.reg_class_agnostic "
                'must be False')
        self.aggregation_layer = MODELS.build(aggregation_layer)

    # ------------------------------------------------------------ features
    def extract_query_roi_feat(self, feats: Sequence[Tensor],
                               rois: Tensor) -> Tensor:
        """RoI features of query images.

        Args:
            feats: Query features, level by level.
            rois: (n, 5) RoIs.

        Returns:
            (n, C) features (shared head included).
        """
        roi_feats = self.bbox_roi_extractor(
            feats[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            roi_feats = self.shared_head(roi_feats)
        return roi_feats.flatten(1)

    def extract_support_feats(self, feats: Sequence[Tensor]) -> Tensor:
        """Support vectors of support images.

        Args:
            feats: Backbone features of the support images, level by level
                (the first level is used).

        Returns:
            (N, C) vectors.
        """
        if self.with_shared_head:
            return self.shared_head.forward_support(feats[0])
        return feats[0].mean((2, 3))

    def _bbox_forward(self, query_roi_feats: Tensor,
                      support_feats: Tensor) -> Dict[str, Tensor]:
        """Box head forward on aggregated features.

        Args:
            query_roi_feats: (n, C).
            support_feats: (1, C), one vector for all RoIs, or (n, C), one
                per RoI.

        Returns:
            ``cls_score`` (n, num_classes + 1) and ``bbox_pred``.
        """
        roi_feats = self.aggregation_layer(query_roi_feats[..., None, None],
                                           support_feats[..., None, None])[0]
        cls_score, bbox_pred = self.bbox_head(roi_feats.flatten(1))
        return dict(cls_score=cls_score, bbox_pred=bbox_pred)

    # -------------------------------------------------------------- train
    def loss(self, query_feats: Sequence[Tensor],
             support_feats: Sequence[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList,
             support_data_samples: SampleList) -> Dict[str, Tensor]:
        """Box and meta-classification losses of a batch.

        Args:
            query_feats: Query features, level by level.
            support_feats: Support backbone features, level by level.
            rpn_results_list: Proposals of every query image.
            batch_data_samples: Query samples with ``gt_instances``.
            support_data_samples: Support samples, one instance each.

        Returns:
            ``loss_cls``, ``loss_bbox``, ``acc`` (when a pair exists),
            ``loss_meta_cls``, ``meta_acc``.
        """
        batch_gt_instances, batch_gt_instances_ignore, _ = \
            unpack_gt_instances(batch_data_samples)
        sampling_results = assign_and_sample(self, query_feats,
                                             rpn_results_list,
                                             batch_gt_instances,
                                             batch_gt_instances_ignore)
        rois = bbox2roi([res.priors for res in sampling_results])
        query_roi_feats = self.extract_query_roi_feat(query_feats, rois)
        support_vectors = self.extract_support_feats(support_feats)
        labels_of_supports = support_labels(support_data_samples)
        targets = self.bbox_head.get_targets(sampling_results, self.train_cfg)
        pair_losses: Dict[str, List[Tensor]] = dict(
            loss_cls=[], loss_bbox=[], acc=[])
        start = 0
        for img_id, num_rois in enumerate(rois_per_image(sampling_results)):
            rows = slice(start, start + num_rois)
            start += num_rois
            gt_labels = batch_gt_instances[img_id].labels
            if gt_labels.numel() == 0:
                continue
            drawn = gt_labels[torch.randint(len(gt_labels), (1, )).item()]
            for support_id in torch.nonzero(
                    labels_of_supports == drawn).flatten().tolist():
                results = self._bbox_forward(
                    query_roi_feats[rows],
                    support_vectors[support_id:support_id + 1])
                losses = self.bbox_head.loss(
                    results['cls_score'], results['bbox_pred'], rois[rows],
                    *(target[rows] for target in targets))
                for key in pair_losses:
                    pair_losses[key].append(losses[key].reshape(()))
        num_images = len(sampling_results)
        if pair_losses['acc']:
            losses = dict(
                loss_cls=torch.stack(pair_losses['loss_cls']).sum() /
                num_images,
                loss_bbox=torch.stack(pair_losses['loss_bbox']).sum() /
                num_images,
                acc=torch.stack(pair_losses['acc']).mean())
        else:
            # no query drew a class with support: zero losses that still
            # reach every weight of the head (distributed training needs it)
            results = self._bbox_forward(query_roi_feats, support_vectors[:1])
            losses = dict(
                loss_cls=results['cls_score'].sum() * 0,
                loss_bbox=results['bbox_pred'].sum() * 0)
        if self.bbox_head.with_meta_cls_loss:
            losses.update(
                self.bbox_head.loss_meta(
                    self.bbox_head.forward_meta_cls(support_vectors),
                    labels_of_supports))
        return losses

    # ---------------------------------------------------------------- test
    def predict_with_support(self,
                             query_feats: Sequence[Tensor],
                             rpn_results_list: InstanceList,
                             batch_data_samples: SampleList,
                             support_feats: Dict[int, Tensor],
                             rescale: bool = False) -> InstanceList:
        """Detections of every query image.

        Args:
            query_feats: Query features, level by level.
            rpn_results_list: Proposals of every image.
            batch_data_samples: Query samples (their ``metainfo``).
            support_feats: ``{label: (1, C) or (C,) support vector}``.
            rescale: Boxes in original image coordinates.

        Returns:
            One ``InstanceData`` (``bboxes``, ``scores``, ``labels``) per
            image.
        """
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        proposals = [res.bboxes for res in rpn_results_list]
        rois = bbox2roi(proposals)
        if rois.shape[0] == 0:
            return empty_instances(
                batch_img_metas,
                rois.device,
                task_type='bbox',
                box_type=self.bbox_head.predict_box_type,
                num_classes=self.bbox_head.num_classes)
        query_roi_feats = self.extract_query_roi_feat(query_feats, rois)
        cls_score, bbox_pred = self.class_scores(query_roi_feats,
                                                 support_feats)
        num_proposals = tuple(len(p) for p in proposals)
        return self.bbox_head.predict_by_feat(
            rois=rois.split(num_proposals),
            cls_scores=cls_score.split(num_proposals),
            bbox_preds=bbox_pred.split(num_proposals),
            batch_img_metas=batch_img_metas,
            rcnn_test_cfg=self.test_cfg,
            rescale=rescale)

    def class_scores(self, query_roi_feats: Tensor,
                     support_feats: Dict[int, Tensor]) -> tuple:
        """Scores and boxes of every RoI with every support class, all
        classes in one pass.

        Args:
            query_roi_feats: (n, C) RoI features.
            support_feats: ``{label: support vector}``.

        Returns:
            ``cls_score`` (n, num_classes + 1) logits and ``bbox_pred`` (n,
            4 * num_classes).
        """
        labels = sorted(support_feats)
        vectors = torch.stack(
            [support_feats[label].reshape(-1) for label in labels])
        num_rois, num_ways = len(query_roi_feats), len(labels)
        results = self._bbox_forward(
            query_roi_feats.repeat(num_ways, 1),
            vectors.repeat_interleave(num_rois, dim=0))
        way_scores = results['cls_score'].reshape(num_ways, num_rois, -1)
        ways = torch.arange(num_ways, device=query_roi_feats.device)
        label_index = torch.tensor(labels, device=query_roi_feats.device)
        num_classes = self.bbox_head.num_classes
        cls_score = way_scores.new_full((num_rois, num_classes + 1),
                                        float('-inf'))
        cls_score[:, label_index] = way_scores[ways, :, label_index].t()
        cls_score[:, -1] = way_scores[:, :, -1].mean(0)
        way_boxes = results['bbox_pred'].reshape(num_ways, num_rois, -1, 4)
        bbox_pred = way_boxes.new_zeros(num_rois, num_classes, 4)
        bbox_pred[:, label_index] = way_boxes[ways, :,
                                              label_index].transpose(0, 1)
        return cls_score, bbox_pred.reshape(num_rois, -1)
