from .two_branch_data_preprocessor import TwoBranchDataPreprocessor

__all__ = ['TwoBranchDataPreprocessor']
