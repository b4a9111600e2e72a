# Runtime shared by every few-shot detection config: the scope that resolves
# bare ``type`` names (ours, then mmdet's), hooks, logging, visualisation and
# the environment. Validation runs every ``train_cfg.val_interval``
# iterations; the checkpoint with the best first validation metric (the
# all-class mAP) is kept next to the last ones.
default_scope = 'mmfewshot_det'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=5000,
        max_keep_ckpts=3,
        save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # `tools/detection/test.py --show-dir` switches drawing on
    visualization=dict(type='DetVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # the train/test tools switch to gloo on machines without CUDA
    dist_cfg=dict(backend='nccl'))

# LocalVisBackend writes the logged scalars to <work_dir>/<time>/vis_data
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')

log_level = 'INFO'
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)

load_from = None
resume = False
# the original toolbox's detection seed; it also seeds the few-shot
# samplers built before the runner
randomness = dict(seed=42, deterministic=False)
# the seed of the K-shot split files of every few-shot dataset of the config
# (`mmfewshot/detection/datasets/split_seed.py`): None keeps each ann_cfg
# entry's own seed (none: the published benchmark split);
# `--cfg-options split_seed=3` reads <ann_root>/seed3/ (the split files of
# tools/data/detection/prepare_few_shot_split.py --seeds), whichever wrapper
# holds the dataset; tools/detection/multi_seed.py runs a config over seeds
split_seed = None
