from .base import BaseFewShotDataset
from .builder import build_dataloader, build_meta_test_dataloaders
from .cub import CUBDataset
from .episodic import EpisodicDataset
from .meta_test import MetaTestDataset
from .mini_imagenet import MiniImageNetDataset
from .tiered_imagenet import TieredImageNetDataset
from .transforms import LoadImageFromBytes

__all__ = [
    'BaseFewShotDataset', 'MiniImageNetDataset', 'TieredImageNetDataset',
    'CUBDataset', 'EpisodicDataset', 'MetaTestDataset', 'LoadImageFromBytes',
    'build_dataloader', 'build_meta_test_dataloaders'
]
