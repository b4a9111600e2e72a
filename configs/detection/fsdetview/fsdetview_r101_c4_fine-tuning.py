# FSDetView R101-C4 for few-shot fine-tuning on VOC: the weights come from
# the base model (`load_from`), with the classifier, regressor and meta
# classifier initialised afresh for the 20 classes (`reinit_on_load`); the
# backbone, the RPN, the res5 head and the aggregators are frozen, but, as
# in the original toolbox, the aggregators' BatchNorm1d statistics keep
# updating (`freeze_norm_stats=False`).
# The query images of fine-tuning are padded to multiples of 32, test images
# and base training only to their batch, as by the original's pipelines.
_base_ = ['./fsdetview_r101_c4.py']
model = dict(
    data_preprocessor=dict(pad_size_divisor=32, test_pad_size_divisor=1),
    frozen_parameters=[
        'backbone', 'rpn_head', 'roi_head.shared_head',
        'roi_head.aggregation_layer'
    ],
    freeze_norm_stats=False,
    backbone=dict(init_cfg=None),
    roi_head=dict(shared_head=dict(init_cfg=None)))
reinit_on_load = [
    'roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg',
    'roi_head.bbox_head.fc_meta'
]
