import math
from statistics import NormalDist
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from terminaltables import AsciiTable

from mmfewshot.classification.registry import METRICS


def mean_confidence_interval(values: Sequence[float],
                             confidence: float = 0.95) -> Dict[str, float]:
    """Mean, standard deviation and confidence interval half-width.

    The interval is the normal approximation used throughout the few-shot
    literature: ``z * std / sqrt(n)`` with ``z`` the two-sided quantile of
    the confidence level (1.96 for 95%).
    """
    array = np.asarray(values, dtype=np.float64)
    std = float(array.std())
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return dict(
        mean=float(array.mean()),
        std=std,
        interval=z * std / math.sqrt(len(array)))


@METRICS.register_module()
class EpisodicAccuracy(BaseMetric):
    """Accuracy over meta-test tasks, with its confidence interval.

    Consumes one result per task (``task_id``, ``accuracy``,
    ``num_correct``, ``num_queries``), as produced by ``MetaTestLoop``.
    Reports ``accuracy_mean``, ``accuracy_std`` and ``accuracy_ci`` (the
    half-width of the interval at ``confidence``), in percent.

    Args:
        confidence: Confidence level of the interval.
        show_task_results: Also log every task's accuracy.
        collect_device: Device used to gather results across processes.
        prefix: Prefix of the metric names (none by default).
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 confidence: float = 0.95,
                 show_task_results: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0 < confidence < 1:
            raise ValueError(f'confidence must be in (0, 1), got {confidence}')
        self.confidence = confidence
        self.show_task_results = show_task_results

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for result in data_samples:
            self.results.append(dict(result))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('no meta-test task results to evaluate')
        accuracies = [100.0 * result['accuracy'] for result in results]
        summary = mean_confidence_interval(accuracies, self.confidence)
        if self.show_task_results:
            rows = [['task', 'accuracy (%)', 'correct / queries']]
            rows += [[
                result['task_id'], f"{100.0 * result['accuracy']:.2f}",
                f"{result['num_correct']} / {result['num_queries']}"
            ] for result in results]
            print_log('\n' + AsciiTable(rows).table, logger='current')
        print_log(
            f'meta test over {len(results)} tasks: accuracy '
            f"{summary['mean']:.2f} ± {summary['interval']:.2f} "
            f'({100 * self.confidence:g}% confidence interval)',
            logger='current')
        return dict(
            accuracy_mean=summary['mean'],
            accuracy_std=summary['std'],
            accuracy_ci=summary['interval'],
            num_tasks=float(len(results)))
