from typing import Any, Dict

import torch
from mmpretrain.models.utils import ClsDataPreprocessor

from mmfewshot.classification.registry import MODELS


@MODELS.register_module()
class FewShotClsDataPreprocessor(ClsDataPreprocessor):
    """Data preprocessor for plain batches, episodes and cached features.

    - a plain batch ``{'inputs', 'data_samples'}`` is normalised and
      stacked as by mmpretrain's ``ClsDataPreprocessor``;
    - an episode batch ``{'support_data': {...}, 'query_data': {...}}`` has
      each part processed as a plain batch (batch augmentations such as
      mixup are not applied, since they would mix episode labels);
    - a batch of cached features ``{'feats', 'data_samples'}`` is stacked
      and moved to the model's device without normalisation.

    Args: see ``mmpretrain.models.utils.ClsDataPreprocessor``.
    """

    def forward(self, data: Dict[str, Any], training: bool = False) -> dict:
        if 'support_data' in data or 'query_data' in data:
            return {
                key: self.forward(value, training=False)
                for key, value in data.items()
            }
        if 'feats' in data:
            feats = data['feats']
            if isinstance(feats, (list, tuple)):
                feats = torch.stack(list(feats))
            return dict(
                feats=self.cast_data(feats),
                data_samples=data.get('data_samples'))
        return super().forward(data, training)
