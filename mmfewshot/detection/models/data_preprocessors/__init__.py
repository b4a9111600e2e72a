from .few_shot_det_data_preprocessor import FewShotDetDataPreprocessor
from .query_support_data_preprocessor import QuerySupportDataPreprocessor
from .two_branch_data_preprocessor import TwoBranchDataPreprocessor

__all__ = [
    'FewShotDetDataPreprocessor', 'QuerySupportDataPreprocessor',
    'TwoBranchDataPreprocessor'
]
