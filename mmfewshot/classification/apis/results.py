from typing import Dict


def _find(metrics: Dict[str, float], name: str) -> float:
    for key, value in metrics.items():
        if key == name or key.endswith('/' + name):
            return float(value)
    raise KeyError(f'no {name!r} among the metrics {sorted(metrics)}')


def format_meta_test_result(metrics: Dict[str, float],
                            confidence: float = 0.95) -> str:
    """One line ``accuracy mean ± CI`` from the meta-test metrics."""
    mean = _find(metrics, 'accuracy_mean')
    interval = _find(metrics, 'accuracy_ci')
    std = _find(metrics, 'accuracy_std')
    line = (f'meta-test accuracy: {mean:.2f} ± {interval:.2f} '
            f'({100 * confidence:g}% CI, std {std:.2f}')
    try:
        line += f', {int(_find(metrics, "num_tasks"))} tasks)'
    except KeyError:
        line += ')'
    return line
