"""Drawing few-shot episodes from a per-class index."""
from typing import List, Sequence, Tuple

import numpy as np


def _floyd_permutation(draws: Sequence[int], first: int) -> List[int]:
    """Floyd's algorithm P (Bentley & Floyd, "A sample of brilliance",
    1987): a uniformly random ordered sample of ``len(draws)`` distinct
    integers of ``range(first + len(draws))``, where ``draws[i]`` is
    uniform on ``[0, first + i]``. ``O(len(draws) ** 2)`` list moves at
    worst, independent of the population size."""
    chosen = set()
    order: List[int] = []
    for candidate, draw in enumerate(draws, first):
        if draw in chosen:
            order.insert(order.index(draw) + 1, candidate)
            chosen.add(candidate)
        else:
            order.insert(0, draw)
            chosen.add(draw)
    return order


def _floyd_draws(rng: np.random.Generator, population_sizes: np.ndarray,
                 sample_size: int) -> List[int]:
    """The random draws of Floyd's algorithm for several populations at
    once: ``sample_size`` draws per population, the ``i``-th uniform on
    ``[0, population_size - sample_size + i]``."""
    highs = (population_sizes[:, None] - sample_size + 1 +
             np.arange(sample_size)).ravel()
    return rng.integers(0, highs).tolist()


def sample_without_replacement(rng: np.random.Generator, population_size: int,
                               sample_size: int) -> List[int]:
    """``sample_size`` distinct integers of ``range(population_size)`` in
    uniformly random order, in ``O(sample_size ** 2)`` time whatever the
    population size (Floyd's algorithm).

    numpy's ``Generator.choice(n, k, replace=False)`` allocates
    ``arange(n)`` unless ``n > 10000`` and ``k <= n // 50``, i.e. it is
    ``O(n)`` for ordinary class sizes.

    Args:
        rng: The random generator to draw from.
        population_size: Size of the range to draw from.
        sample_size: How many integers to draw, at most ``population_size``.

    Returns:
        The drawn integers.
    """
    draws = _floyd_draws(rng, np.array([population_size]), sample_size)
    return _floyd_permutation(draws, population_size - sample_size)


class EpisodeSampler:
    """Draws N-way K-shot episodes with a seeded generator.

    One episode costs two calls to the generator and
    ``O(num_ways * (num_shots + num_queries) ** 2)`` Python steps,
    independent of the number of classes and of images per class.

    Args:
        class_indices: Entry ``c`` holds the dataset indices of class ``c``.
        seed: Seed of the generator; the same seed gives the same episodes.
    """

    def __init__(self, class_indices: Sequence[Sequence[int]],
                 seed: int) -> None:
        self.class_indices = [
            np.asarray(indices, dtype=np.int64) for indices in class_indices
        ]
        self.class_sizes = np.array([len(ids) for ids in self.class_indices])
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
        per_class = num_shots + num_queries
        sizes = self.class_sizes[class_ids]
        draws = _floyd_draws(self.rng, sizes, per_class)
        picks = np.stack([
            self.class_indices[class_id][_floyd_permutation(
                draws[way * per_class:(way + 1) * per_class],
                int(sizes[way]) - per_class)]
            for way, class_id in enumerate(class_ids)
        ])
        return (np.array(class_ids, dtype=np.int64),
                picks[:, :num_shots].ravel(), picks[:, num_shots:].ravel())
