# Episodic training: every iteration takes ``batch_size`` episodes of
# ``num_ways`` classes with ``num_shots`` support and ``num_queries`` query
# images each (5 x (5 + 16) = 105 images by default). The sampler streams
# episodes without end and splits them between processes. A dataset file
# fills in the inner ``dataset``.
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_pipeline_collate_fn'),
    dataset=dict(
        type='EpisodicDataset',
        num_episodes=100000,
        num_ways=5,
        num_shots=5,
        num_queries=16))
