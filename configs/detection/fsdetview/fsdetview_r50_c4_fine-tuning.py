# FSDetView R50-C4 for few-shot fine-tuning on COCO: as the R101 VOC one
# (the backbone, the RPN, the res5 head and the aggregators are frozen, the
# aggregators' BatchNorm1d statistics keep updating as in the original
# toolbox; new classifier, regressor and meta classifier for the 80
# classes).
# The query images of fine-tuning are padded to multiples of 32, test images
# and base training only to their batch, as by the original's pipelines.
_base_ = ['./fsdetview_r50_c4.py']
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
