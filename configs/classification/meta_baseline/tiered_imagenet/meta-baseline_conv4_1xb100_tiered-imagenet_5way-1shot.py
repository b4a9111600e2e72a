# Stage 2 of Meta-Baseline: meta-train the pre-trained classifier's
# backbone with the cosine nearest-centroid metric it is evaluated
# with. Train the stage-1 config first: its last checkpoint is
# loaded into the backbone when training starts.
_base_ = [
    '../../_base_/datasets/tiered_imagenet_episodic-train.py',
    '../../_base_/schedules/sgd_100k_iter.py'
]

# 10-way episodes, 5 support and 5 query images per class
train_dataloader = dict(dataset=dict(num_ways=10, num_shots=5, num_queries=5))

model = dict(
    type='MetaBaseline',
    backbone=dict(
        type='Conv4',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/meta-baseline_pretrain_conv4_1xb128_'
            'tiered-imagenet_5way-1shot/epoch_100.pth',
            prefix='backbone.')),
    head=dict(
        type='MetaBaselineHead', temperature=10.0, learnable_temperature=True))
