from .resnet_with_meta_conv import ResNetWithMetaConv

__all__ = ['ResNetWithMetaConv']
