_base_ = [
    '../../_base_/datasets/cub_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py'
]

model = dict(
    type='MatchingNet',
    backbone=dict(type='Conv4'),
    head=dict(type='MatchingHead', temperature=100.0))
