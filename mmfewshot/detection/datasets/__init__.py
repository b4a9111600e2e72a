from .base import BaseFewShotDataset
from .class_splits import (ALL_CLASSES, ALL_CLASSES_SPLIT1, ALL_CLASSES_SPLIT2,
                           ALL_CLASSES_SPLIT3, BASE_CLASSES,
                           BASE_CLASSES_SPLIT1, BASE_CLASSES_SPLIT2,
                           BASE_CLASSES_SPLIT3, COCO_CATEGORY_IDS, COCO_SPLIT,
                           NOVEL_CLASSES, NOVEL_CLASSES_SPLIT1,
                           NOVEL_CLASSES_SPLIT2, NOVEL_CLASSES_SPLIT3,
                           VOC_SPLIT, get_novel_classes, get_split_classes,
                           read_dataset_classes)
from .coco import (FewShotCocoCopyDataset, FewShotCocoDataset,
                   FewShotCocoDefaultDataset)
from .dataloader_wrappers import (NWayKShotDataloader, TwoBranchDataloader,
                                  build_fewshot_dataloader,
                                  build_nway_kshot_dataloader,
                                  build_two_branch_dataloader,
                                  collate_support_batches)
from .dataset_wrappers import (NWayKShotDataset, QueryAwareDataset,
                               TwoBranchDataset)
from .keep_original_image import KeepOriginalImage
from .multi_scale_transforms import (MultiImagePackDetInputs,
                                     MultiImageRandomCrop,
                                     MultiImageRandomFlip, ResizeToMultiScale)
from .split_seed import (SPLIT_SEED_KEY, apply_split_seed, benchmark_entries,
                         few_shot_setting)
from .transforms import CropInstance, CropResizeInstance, GenerateMask
from .utils import count_instances, valid_instances
from .voc import (FewShotVOCCopyDataset, FewShotVOCDataset,
                  FewShotVOCDefaultDataset)

__all__ = [
    'BaseFewShotDataset', 'FewShotVOCDataset', 'FewShotVOCDefaultDataset',
    'FewShotVOCCopyDataset', 'FewShotCocoDataset', 'FewShotCocoDefaultDataset',
    'FewShotCocoCopyDataset', 'ALL_CLASSES_SPLIT1', 'ALL_CLASSES_SPLIT2',
    'ALL_CLASSES_SPLIT3', 'BASE_CLASSES_SPLIT1', 'BASE_CLASSES_SPLIT2',
    'BASE_CLASSES_SPLIT3', 'NOVEL_CLASSES_SPLIT1', 'NOVEL_CLASSES_SPLIT2',
    'NOVEL_CLASSES_SPLIT3', 'ALL_CLASSES', 'BASE_CLASSES', 'NOVEL_CLASSES',
    'VOC_SPLIT', 'COCO_SPLIT', 'COCO_CATEGORY_IDS', 'get_split_classes',
    'get_novel_classes', 'read_dataset_classes', 'count_instances',
    'valid_instances', 'CropInstance', 'CropResizeInstance', 'GenerateMask',
    'QueryAwareDataset', 'NWayKShotDataset', 'TwoBranchDataset',
    'NWayKShotDataloader', 'TwoBranchDataloader', 'build_fewshot_dataloader',
    'build_nway_kshot_dataloader', 'build_two_branch_dataloader',
    'collate_support_batches', 'ResizeToMultiScale', 'MultiImageRandomCrop',
    'MultiImageRandomFlip', 'MultiImagePackDetInputs', 'KeepOriginalImage',
    'SPLIT_SEED_KEY', 'apply_split_seed', 'benchmark_entries',
    'few_shot_setting'
]
