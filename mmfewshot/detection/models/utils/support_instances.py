"""Labels and boxes of support samples (one instance per support image)."""
from typing import List

import torch
from mmdet.structures import DetDataSample, SampleList
from torch import Tensor

from mmfewshot.utils import DataError


def support_labels(support_data_samples: SampleList) -> Tensor:
    """The label of each support sample, which must hold one instance.

    Args:
        support_data_samples: Support samples.

    Returns:
        The labels, (N,).

    Raises:
        DataError: naming the image of a sample without exactly one
            instance.
    """
    labels = []
    for data_sample in support_data_samples:
        sample_labels = data_sample.gt_instances.labels
        if sample_labels.numel() != 1:
            raise DataError(
                'a support image must hold exactly one instance (build the '
                'support dataset with instance_wise=True); '
                f'{data_sample.metainfo.get("img_path", "an image")} holds '
                f'{sample_labels.numel()}')
        labels.append(sample_labels.reshape(1))
    return torch.cat(labels)


def support_rois(support_data_samples: List[DetDataSample]) -> Tensor:
    """RoIs ``(batch index, x1, y1, x2, y2)`` of the support instances'
    boxes, one per sample, in input coordinates."""
    boxes = torch.cat(
        [s.gt_instances.bboxes.reshape(1, 4) for s in support_data_samples])
    indices = torch.arange(
        len(boxes), device=boxes.device, dtype=boxes.dtype).unsqueeze(1)
    return torch.cat([indices, boxes], dim=1)
