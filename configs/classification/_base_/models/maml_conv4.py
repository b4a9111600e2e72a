# MAML with a Conv4 backbone as the original toolbox trains it: second-order
# gradients, 2 inner steps in training and 5 at meta test (lr 0.01), and
# BatchNorm that normalises every batch with its own statistics.
model = dict(
    type='MAML',
    backbone=dict(type='Conv4'),
    head=dict(type='LinearHead', num_classes=5, in_channels=1600),
    num_inner_steps=2,
    num_inner_steps_test=5,
    inner_lr=0.01,
    first_order=False,
    track_running_stats=False)
