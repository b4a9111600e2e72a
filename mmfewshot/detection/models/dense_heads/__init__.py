from .attention_rpn_head import AttentionRPNHead
from .two_branch_rpn_head import TwoBranchRPNHead

__all__ = ['TwoBranchRPNHead', 'AttentionRPNHead']
