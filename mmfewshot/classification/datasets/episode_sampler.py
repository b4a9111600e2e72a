"""Drawing few-shot episodes from a per-class index."""
from typing import Sequence, Tuple

import numpy as np


def sample_without_replacement(rng: np.random.Generator, population_size: int,
                               sample_size: int) -> np.ndarray:
    """``sample_size`` distinct integers of ``range(population_size)``.

    Floyd's algorithm picks the set in ``O(sample_size)`` time and memory,
    whatever ``population_size``; a shuffle of the picks then makes their
    order uniformly random too. (numpy's ``Generator.choice(n, k,
    replace=False)`` allocates ``arange(n)`` unless ``n > 10000`` and
    ``k <= n // 50``, i.e. it is ``O(n)`` for ordinary class sizes.)

    Args:
        rng: The random generator to draw from.
        population_size: Size of the range to draw from.
        sample_size: How many integers to draw, at most ``population_size``.

    Returns:
        An ``int64`` array of ``sample_size`` distinct integers.
    """
    first = population_size - sample_size
    # draws[i] is uniform on [0, first + i]
    draws = rng.integers(0, np.arange(first + 1, population_size + 1))
    chosen = set()
    picks = []
    for candidate, draw in enumerate(draws.tolist(), first):
        pick = candidate if draw in chosen else draw
        chosen.add(pick)
        picks.append(pick)
    picks_array = np.array(picks, dtype=np.int64)
    rng.shuffle(picks_array)
    return picks_array


class EpisodeSampler:
    """Draws N-way K-shot episodes with a seeded generator.

    One episode costs ``O(num_ways * (num_shots + num_queries))``,
    independent of the number of classes and of images per class.

    Args:
        class_indices: Entry ``c`` holds the dataset indices of class ``c``.
        seed: Seed of the generator; the same seed gives the same episodes.
    """

    def __init__(self, class_indices: Sequence[np.ndarray], seed: int) -> None:
        self.class_indices = [
            np.asarray(indices, dtype=np.int64) for indices in class_indices
        ]
        self.rng = np.random.default_rng(seed)

    def sample(self, num_ways: int, num_shots: int,
               num_queries: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw one episode.

        Returns:
            The class ids ``[num_ways]``, the support indices
            ``[num_ways * num_shots]`` and the query indices
            ``[num_ways * num_queries]``; support and query are class-major
            (all images of way 0, then way 1, ...) and disjoint.
        """
        class_ids = sample_without_replacement(self.rng,
                                               len(self.class_indices),
                                               num_ways)
        support, query = [], []
        for class_id in class_ids.tolist():
            members = self.class_indices[class_id]
            picks = members[sample_without_replacement(
                self.rng, len(members), num_shots + num_queries)]
            support.append(picks[:num_shots])
            query.append(picks[num_shots:])
        return class_ids, np.concatenate(support), np.concatenate(query)
