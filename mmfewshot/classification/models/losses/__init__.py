from .mse_loss import MSELoss
from .nll_loss import NLLLoss

__all__ = ['MSELoss', 'NLLLoss']
