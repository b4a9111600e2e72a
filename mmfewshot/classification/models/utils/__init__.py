from .data_preprocessor import FewShotClsDataPreprocessor
from .episode import episode_layout
from .pretrained import PretrainedMatch

__all__ = ['FewShotClsDataPreprocessor', 'episode_layout', 'PretrainedMatch']
