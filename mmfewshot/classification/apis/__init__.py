from .inference import (inference_classifier, init_classifier,
                        process_support_images, show_result_pyplot)
from .results import format_meta_test_result

__all__ = [
    'inference_classifier', 'init_classifier', 'process_support_images',
    'show_result_pyplot', 'format_meta_test_result'
]
