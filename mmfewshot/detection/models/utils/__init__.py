from .frozen_parameters import FrozenParametersMixin
from .support_instances import support_labels, support_rois

__all__ = ['FrozenParametersMixin', 'support_labels', 'support_rois']
