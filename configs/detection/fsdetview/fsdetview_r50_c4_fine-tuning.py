# FSDetView R50-C4 for few-shot fine-tuning on COCO: new classifier,
# regressor and meta classifier for the 80 classes; only the backbone and
# the RPN are frozen, so the res5 head and the aggregators train with the
# box head. (The original config lists 'backbone', 'neck', 'rpn_head' and
# 'roi_head.bbox_head.shared_fcs'; of these only the backbone and the RPN
# name parameters of FSDetView.)
_base_ = ['./fsdetview_r50_c4.py']
model = dict(
    frozen_parameters=['backbone', 'rpn_head'],
    backbone=dict(init_cfg=None),
    roi_head=dict(shared_head=dict(init_cfg=None)))
reinit_on_load = [
    'roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg',
    'roi_head.bbox_head.fc_meta'
]
