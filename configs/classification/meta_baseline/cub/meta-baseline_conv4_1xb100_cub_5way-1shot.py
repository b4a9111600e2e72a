# Meta stage of Meta-Baseline: the backbone of the best checkpoint of the
# Baseline config of the same backbone and meta test is meta-trained with
# the cosine nearest-centroid metric it is evaluated with. Train that
# Baseline config first.
_base_ = [
    '../../_base_/datasets/cub_episodic-train.py',
    '../../_base_/schedules/sgd_100k_iter.py'
]

# 10-way episodes, 5 support and 5 query images per class
train_dataloader = dict(dataset=dict(num_ways=10, num_shots=5, num_queries=5))

model = dict(
    type='MetaBaseline',
    backbone=dict(
        type='Conv4',
        init_cfg=dict(
            type='PretrainedMatch',
            checkpoint='work_dirs/baseline_conv4_1xb64_cub_'
            '5way-1shot/best_accuracy_mean_*.pth',
            prefix='backbone.')),
    head=dict(
        type='MetaBaselineHead', temperature=10.0, learnable_temperature=True))

# validation as the original's: task by task, the support images through the
# model in training mode (BatchNorm on the support batch's statistics), the
# query images in evaluation mode
val_cfg = dict(meta_test_cfg=dict(fast_test=False, support_train_mode=True))
