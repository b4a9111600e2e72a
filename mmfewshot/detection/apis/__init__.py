from .inference import (format_detections, inference_detector, init_detector,
                        show_result)
from .original_checkpoint import converter_method_of, load_detector_checkpoint
from .query_support import process_support_images, restore_support_set
from .results import evaluated_splits, format_split_table, split_metric_table
from .train import (build_train_dataloader, check_dataset_classes,
                    check_load_from, set_save_dataset_paths)

__all__ = [
    'format_detections', 'inference_detector', 'init_detector', 'show_result',
    'evaluated_splits', 'format_split_table', 'split_metric_table',
    'build_train_dataloader', 'check_dataset_classes', 'check_load_from',
    'set_save_dataset_paths', 'process_support_images', 'restore_support_set',
    'converter_method_of', 'load_detector_checkpoint'
]
