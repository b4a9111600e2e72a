from .aggregation_layer import (AggregationLayer,
                                DepthWiseCorrelationAggregator,
                                DifferenceAggregator, DotProductAggregator)

__all__ = [
    'AggregationLayer', 'DepthWiseCorrelationAggregator',
    'DifferenceAggregator', 'DotProductAggregator'
]
