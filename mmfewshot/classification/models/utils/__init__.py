from .data_preprocessor import FewShotClsDataPreprocessor
from .episode import episode_layout

__all__ = ['FewShotClsDataPreprocessor', 'episode_layout']
