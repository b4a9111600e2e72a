from .two_branch_rpn_head import TwoBranchRPNHead

__all__ = ['TwoBranchRPNHead']
