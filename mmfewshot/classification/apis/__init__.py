from .inference import (inference_classifier, init_classifier,
                        process_support_images, read_class_names,
                        show_result_pyplot)
from .original_checkpoint import (is_original_checkpoint,
                                  load_classifier_checkpoint)
from .results import format_meta_test_result

__all__ = [
    'inference_classifier', 'init_classifier', 'process_support_images',
    'show_result_pyplot', 'read_class_names', 'format_meta_test_result',
    'is_original_checkpoint', 'load_classifier_checkpoint'
]
