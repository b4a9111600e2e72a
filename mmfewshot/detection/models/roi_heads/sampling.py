"""RoI assignment and sampling shared by the query-support RoI heads."""
from typing import List, Optional, Sequence, Tuple

from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.utils import InstanceList
from mmengine.structures import InstanceData
from torch import Tensor


def assign_and_sample(
        roi_head,
        feats: Sequence[Tensor],
        rpn_results_list: InstanceList,
        batch_gt_instances: InstanceList,
        batch_gt_instances_ignore: List[InstanceData],
        image_ids: Optional[Sequence[int]] = None) -> List[SamplingResult]:
    """Assign the proposals of every image to its ground truth and sample
    RoIs, as mmdet's ``StandardRoIHead.loss`` does.

    Args:
        roi_head: The RoI head (its ``bbox_assigner`` and ``bbox_sampler``).
        feats: Features, level by level, one row per image.
        rpn_results_list: Proposals of every image (``bboxes``); not
            changed.
        batch_gt_instances: Ground truth of every image.
        batch_gt_instances_ignore: Ignored boxes of every image.
        image_ids: The row of ``feats`` of every proposal list, when several
            lists belong to one image (query-support pairs); by default
            list ``i`` belongs to row ``i``.

    Returns:
        The sampling result of every image.
    """
    sampling_results = []
    if image_ids is None:
        image_ids = range(len(rpn_results_list))
    for i, (rpn_results,
            image_id) in enumerate(zip(rpn_results_list, image_ids)):
        proposals = InstanceData(priors=rpn_results.bboxes)
        assign_result = roi_head.bbox_assigner.assign(
            proposals, batch_gt_instances[i], batch_gt_instances_ignore[i])
        sampling_results.append(
            roi_head.bbox_sampler.sample(
                assign_result,
                proposals,
                batch_gt_instances[i],
                feats=[feat[image_id][None] for feat in feats]))
    return sampling_results


def rois_per_image(sampling_results: List[SamplingResult]) -> Tuple[int, ...]:
    """The number of sampled RoIs of every image."""
    return tuple(len(res.priors) for res in sampling_results)
