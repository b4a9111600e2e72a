from .conv4 import Conv4, Conv4NoPool, ConvNet
from .resnet12 import ResNet12
from .utils import DropBlock
from .wrn import WideResNet, WRN28x10

__all__ = [
    'ConvNet', 'Conv4', 'Conv4NoPool', 'ResNet12', 'WideResNet', 'WRN28x10',
    'DropBlock'
]
