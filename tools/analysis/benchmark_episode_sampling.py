"""Time episode sampling on synthetic per-class indices of several sizes.

Compares mmfewshot's ``EpisodeSampler`` (Floyd's algorithm, O(num_ways *
(num_shots + num_queries)) per episode) with the same loop written with
numpy's ``Generator.choice(n, k, replace=False)``, which allocates
``arange(n)`` for populations up to 10000 (O(n)). No image is touched:
only the index arrays that ``EpisodicDataset`` samples from are built.

Example:
    python tools/analysis/benchmark_episode_sampling.py --episodes 1000
"""
import argparse
import time
from typing import Callable, List, Optional, Sequence

import numpy as np

from mmfewshot.classification.datasets.episode_sampler import EpisodeSampler

# (number of classes, images per class)
DEFAULT_INDEXES = ((100, 100), (1000, 100), (100, 1000), (100, 10000))


def synthetic_class_indices(num_classes: int,
                            images_per_class: int) -> List[np.ndarray]:
    """Class ``c`` owns indices ``[c * images_per_class, (c + 1) * ...)``."""
    return [
        np.arange(c * images_per_class, (c + 1) * images_per_class)
        for c in range(num_classes)
    ]


def numpy_choice_episode(rng: np.random.Generator,
                         class_indices: Sequence[np.ndarray], num_ways: int,
                         num_shots: int, num_queries: int) -> tuple:
    """One episode drawn with ``Generator.choice`` (the reference)."""
    class_ids = rng.choice(len(class_indices), num_ways, replace=False)
    support, query = [], []
    for class_id in class_ids:
        members = class_indices[class_id]
        picks = members[rng.choice(
            len(members), num_shots + num_queries, replace=False)]
        support.append(picks[:num_shots])
        query.append(picks[num_shots:])
    return class_ids, np.concatenate(support), np.concatenate(query)


def best_time(draw: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` runs of ``draw``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        draw()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--episodes', type=int, default=1000)
    parser.add_argument('--num-ways', type=int, default=5)
    parser.add_argument('--num-shots', type=int, default=5)
    parser.add_argument('--num-queries', type=int, default=15)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args(argv)
    setting = (args.num_ways, args.num_shots, args.num_queries)

    header = ('index size', 'classes x images', 'EpisodeSampler (s)',
              'us / episode', 'numpy choice (s)')
    rows = []
    for num_classes, images_per_class in DEFAULT_INDEXES:
        class_indices = synthetic_class_indices(num_classes, images_per_class)
        # built once, like EpisodicDataset does; only drawing is timed
        sampler = EpisodeSampler(class_indices, seed=0)
        rng = np.random.default_rng(0)

        def ours():
            for _ in range(args.episodes):
                sampler.sample(*setting)

        def reference():
            for _ in range(args.episodes):
                numpy_choice_episode(rng, class_indices, *setting)

        ours_s = best_time(ours, args.repeats)
        reference_s = best_time(reference, args.repeats)
        rows.append(
            (f'{num_classes * images_per_class:,}',
             f'{num_classes} x {images_per_class}', f'{ours_s:.3f}',
             f'{1e6 * ours_s / args.episodes:.0f}', f'{reference_s:.3f}'))

    print(f'{args.episodes} episodes of {args.num_ways}-way '
          f'{args.num_shots}-shot {args.num_queries}-query, best of '
          f'{args.repeats}')
    widths = [
        max(len(str(row[i])) for row in rows + [header])
        for i in range(len(header))
    ]
    for row in [header] + rows:
        print(' | '.join(
            str(cell).rjust(width) for cell, width in zip(row, widths)))


if __name__ == '__main__':
    main()
