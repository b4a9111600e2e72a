_base_ = [
    '../../_base_/datasets/tiered_imagenet_episodic-train.py',
    '../../_base_/schedules/adam_100k_iter.py'
]

model = dict(
    type='ProtoNet',
    backbone=dict(type='Conv4'),
    head=dict(type='PrototypeHead'))
