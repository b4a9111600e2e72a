from .aggregation_layer import (AggregationLayer,
                                DepthWiseCorrelationAggregator,
                                DifferenceAggregator, DotProductAggregator)
from .gradient_decoupled_layer import GradientDecoupledLayer, scale_gradient
from .prototypical_calibration import (PrototypicalCalibrationBlock,
                                       calibrate_scores)

__all__ = [
    'AggregationLayer', 'DepthWiseCorrelationAggregator',
    'DifferenceAggregator', 'DotProductAggregator', 'GradientDecoupledLayer',
    'scale_gradient', 'PrototypicalCalibrationBlock', 'calibrate_scores'
]
