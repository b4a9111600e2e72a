# Runtime shared by every few-shot classification config: the scope that
# resolves bare ``type`` names, hooks, logging, environment and the meta
# test run as validation (best checkpoint by ``accuracy_mean``) and as test.
default_scope = 'mmfewshot_cls'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keeps the last checkpoints and, separately, the one with the best
    # validation accuracy; the schedules set ``interval`` and ``by_epoch``
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        by_epoch=True,
        max_keep_ckpts=3,
        save_best='accuracy_mean',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # the train/test tools switch to gloo on machines without CUDA
    dist_cfg=dict(backend='nccl'))

# LocalVisBackend writes the logged scalars to <work_dir>/<time>/vis_data
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
log_processor = dict(window_size=50, by_epoch=True)

load_from = None
resume = False
# also seeds the training episodes (their ``episodes_seed`` is left unset)
randomness = dict(seed=0, deterministic=False)

# Meta testing of metric-based methods: the backbone is frozen, so the
# features of the whole val/test split are extracted once and the tasks are
# answered from them, 200 at a time. Task ``i`` is seeded with ``seed + i``.
val_cfg = dict(
    type='MetaValLoop',
    meta_test_cfg=dict(fast_test=True, tasks_per_batch=200, seed=0))
test_cfg = dict(
    type='MetaTestLoop',
    meta_test_cfg=dict(fast_test=True, tasks_per_batch=200, seed=0))
