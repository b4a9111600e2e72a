# Attention-RPN base training on the generated toy dataset: the narrow toy
# model (`attention-rpn_tiny-r18_c4.py`) on the 6 base classes, 2 ways x 5
# shots of support per query image, 1200 iterations. Used by the tests and
# the toy benchmark (configs/detection/attention_rpn README).
_base_ = [
    '../../_base_/datasets/query_aware/base_toy.py',
    '../attention-rpn_tiny-r18_c4.py', '../../_base_/default_runtime.py'
]
num_support_shots = 5
model = dict(
    rpn_head=dict(num_support_shots=num_support_shots),
    roi_head=dict(num_support_shots=num_support_shots))
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=600))
# The toy model trains from scratch: without a cap on the gradient norm the
# unnormalised local correlation of the relation head blows up (loss_cls
# 0.57 -> 37 -> nan around iteration 180 at lr 0.004).
optim_wrapper = dict(clip_grad=dict(max_norm=10, norm_type=2))
