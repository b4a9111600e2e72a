from typing import Any, Dict, List, Sequence

from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS


def _flatten(items: Sequence[Any]) -> List[Any]:
    flat: List[Any] = []
    for item in items:
        if isinstance(item, (list, tuple)):
            flat.extend(item)
        else:
            flat.append(item)
    return flat


# Registered in mmengine's root FUNCTIONS registry: the runner looks collate
# functions up there, and both sides of mmfewshot use this one.
@FUNCTIONS.register_module()
def multi_pipeline_collate_fn(batch: Sequence[Dict[str, Any]]) -> Any:
    """Collate samples whose fields may be lists of pipeline outputs.

    Few-shot samples often carry a whole set of images in one field, e.g.
    ``{'support_data': [s_1, ..., s_n], 'query_data': [q_1, ..., q_m]}``
    where every ``s_i`` is the output of a pipeline (``inputs`` and
    ``data_samples``). For every such field the lists of all samples in the
    batch are concatenated and then collated like ordinary samples, giving
    ``{'support_data': {'inputs': [...], 'data_samples': [...]}, ...}``.
    Samples that are plain pipeline outputs are collated as by mmengine's
    ``pseudo_collate``.

    Args:
        batch: The samples of one batch.

    Returns:
        The collated batch; tensors are not stacked (the model's data
        preprocessor does that), so images of different sizes are allowed.
    """
    if not batch:
        return batch
    first = batch[0]
    if not isinstance(first, dict):
        return pseudo_collate(batch)
    collated: Dict[str, Any] = {}
    for key in first:
        values = [sample[key] for sample in batch]
        if isinstance(values[0], (list, tuple)) and values[0] and \
                isinstance(values[0][0], dict):
            collated[key] = pseudo_collate(_flatten(values))
        elif isinstance(values[0], dict):
            collated[key] = multi_pipeline_collate_fn(values)
        else:
            collated[key] = pseudo_collate(values)
    return collated
