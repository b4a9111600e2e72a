# Plain-batch training on all base classes (Baseline family, Meta-Baseline
# pre-training): shuffled batches of 64 images per process. A dataset file
# fills in ``dataset``.
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True))
