from .inference import (format_detections, inference_detector, init_detector,
                        show_result, support_instances)
from .multi_seed import (TEST_RESULTS_FILE, MultiSeedError, SeedRuns,
                         check_complete, config_digest,
                         format_comparison_table, format_summary_table,
                         mean_interval, plot_metric_name, plot_summary,
                         read_seed_runs, read_test_results, seed_folder,
                         summarize, write_summary)
from .original_checkpoint import converter_method_of, load_detector_checkpoint
from .query_support import process_support_images, restore_support_set
from .results import (evaluated_splits, format_split_table, metrics_by_split,
                      split_metric_table)
from .train import (build_train_dataloader, check_dataset_classes,
                    check_load_from, set_save_dataset_paths)

__all__ = [
    'format_detections', 'inference_detector', 'init_detector', 'show_result',
    'support_instances',
    'evaluated_splits', 'format_split_table', 'split_metric_table',
    'build_train_dataloader', 'check_dataset_classes', 'check_load_from',
    'set_save_dataset_paths', 'process_support_images', 'restore_support_set',
    'metrics_by_split', 'TEST_RESULTS_FILE', 'MultiSeedError', 'SeedRuns',
    'check_complete', 'config_digest', 'format_comparison_table',
    'format_summary_table', 'mean_interval', 'plot_metric_name',
    'plot_summary', 'read_seed_runs', 'read_test_results', 'seed_folder',
    'summarize', 'write_summary', 'converter_method_of',
    'load_detector_checkpoint'
]
