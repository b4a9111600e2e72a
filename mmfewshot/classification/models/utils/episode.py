from typing import Tuple

import torch


def episode_layout(labels: torch.Tensor, part: str) -> Tuple[int, int, int]:
    """Read the episode layout of a batch from its labels.

    Episode samples come class-major: all samples of episode label 0, then
    of label 1, ..., and a batch concatenates whole episodes. So the labels
    of ``E`` episodes of ``W`` ways with ``K`` samples per class are
    ``[0]*K + [1]*K + ... + [W-1]*K`` repeated ``E`` times.

    Args:
        labels: The flat labels of a batch, [E * W * K].
        part: ``'support'`` or ``'query'``, used in error messages.

    Returns:
        ``(num_episodes, num_ways, num_per_class)``.
    """
    labels = labels.flatten()
    if labels.numel() == 0:
        raise ValueError(f'empty {part} set')
    num_ways = int(labels.max()) + 1
    first_change = (labels != labels[0]).nonzero()
    num_per_class = (
        int(first_change[0]) if len(first_change) else labels.numel())
    block = num_ways * num_per_class
    if labels.numel() % block != 0 or int(labels[0]) != 0:
        raise ValueError(
            f'{part} labels are not whole class-major episodes '
            f'({num_ways} ways x {num_per_class}): {labels.tolist()}')
    num_episodes = labels.numel() // block
    expected = torch.arange(
        num_ways, device=labels.device).repeat_interleave(num_per_class)
    if not torch.equal(labels, expected.repeat(num_episodes)):
        raise ValueError(
            f'{part} labels are not whole class-major episodes '
            f'({num_ways} ways x {num_per_class}): {labels.tolist()}')
    return num_episodes, num_ways, num_per_class
