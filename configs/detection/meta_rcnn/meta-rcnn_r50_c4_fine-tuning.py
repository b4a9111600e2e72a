# Meta R-CNN R50-C4 for few-shot fine-tuning on COCO: as the R101 VOC one
# (frozen backbone, RPN and res5 head; new classifier, regressor and meta
# classifier for the 80 classes).
_base_ = ['./meta-rcnn_r50_c4.py']
model = dict(
    frozen_parameters=['backbone', 'rpn_head', 'roi_head.shared_head'],
    backbone=dict(init_cfg=None),
    roi_head=dict(shared_head=dict(init_cfg=None)))
reinit_on_load = [
    'roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg',
    'roi_head.bbox_head.fc_meta'
]
