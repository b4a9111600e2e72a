# FSDetView base training on the generated toy dataset: the narrow toy
# model (`fsdetview_tiny-r18_c4.py`) on the 6 base classes with 6-way 1-shot
# support batches, 1200 iterations (about 15 minutes on 2 CPU cores). Used
# by the tests and the toy benchmark (configs/detection/fsdetview README).
_base_ = [
    '../../_base_/datasets/nway_kshot/base_toy.py',
    '../fsdetview_tiny-r18_c4.py', '../../_base_/default_runtime.py'
]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=600))
