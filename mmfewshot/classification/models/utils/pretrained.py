import glob

import torch.nn as nn
from mmengine.model.weight_init import PretrainedInit

from mmfewshot.classification.registry import WEIGHT_INITIALIZERS


@WEIGHT_INITIALIZERS.register_module()
class PretrainedMatch(PretrainedInit):
    """``Pretrained`` initialisation from a checkpoint named by a pattern.

    ``checkpoint`` may hold shell wildcards, resolved when the weights are
    loaded; exactly one file must match. This names a checkpoint whose file
    name is only known after training, such as the best checkpoint of
    another config, ``work_dirs/<config>/best_accuracy_mean_*.pth`` (the
    checkpoint hook keeps one best checkpoint per work dir).

    Args:
        checkpoint: Path or pattern of the checkpoint.
        prefix: Load only the weights under this prefix, with it removed
            (e.g. ``'backbone.'``).
        map_location: Where the tensors are loaded.
    """

    def __call__(self, module: nn.Module) -> None:
        matches = sorted(glob.glob(self.checkpoint))
        if len(matches) != 1:
            found = ', '.join(matches) if matches else 'none'
            raise FileNotFoundError(
                f'PretrainedMatch: checkpoint pattern {self.checkpoint} must '
                f'match exactly one file; found {found}')
        self.checkpoint = matches[0]
        super().__call__(module)
