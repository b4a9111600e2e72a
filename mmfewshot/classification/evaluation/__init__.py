from .episodic_accuracy import EpisodicAccuracy, mean_confidence_interval

__all__ = ['EpisodicAccuracy', 'mean_confidence_interval']
