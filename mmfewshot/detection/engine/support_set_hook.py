"""A hook that stores the support set of few-shot training in checkpoints.
"""
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmfewshot.detection.registry import HOOKS
from .model_init_loops import SUPPORT_SET_KEY, training_support_set


@HOOKS.register_module()
class SupportSetCheckpointHook(Hook):
    """Write the support instances of the training into every checkpoint.

    The instances (``{'classes': [...], 'novel_classes': [...],
    'data_list': [...]}``: the support instances of a query-support
    wrapper, or the items of a K-shot fine-tuning set, in plain lists that
    load with ``weights_only=True``) go to
    ``checkpoint['meta']['support_set']``, so testing the checkpoint
    (``tools/detection/test.py``) initialises the model with the exact
    support set of the training, without its data files. Runs that train
    on other datasets store nothing.
    """

    priority = 'NORMAL'

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Add the support set to ``checkpoint['meta']``.

        Args:
            runner: The runner.
            checkpoint: The checkpoint about to be saved.
        """
        support_set = training_support_set(runner)
        if support_set is not None:
            checkpoint.setdefault('meta', {})[SUPPORT_SET_KEY] = support_set
