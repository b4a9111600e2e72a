# TFA fine-tuning model: Faster R-CNN R101-FPN whose box classifier is the
# cosine-similarity one (scale 20); everything but the last two layers
# (`roi_head.bbox_head.fc_cls`, `fc_reg`) is frozen. The weights come from a
# base-training checkpoint after surgery (`load_from`), so no ImageNet
# weights are loaded here.
_base_ = ['../_base_/models/faster_rcnn_r50_caffe_fpn.py']
model = dict(
    type='TFA',
    frozen_parameters=[
        'backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs'
    ],
    backbone=dict(depth=101, frozen_stages=4, init_cfg=None),
    roi_head=dict(
        bbox_head=dict(
            type='CosineSimBBoxHead',
            num_shared_fcs=2,
            num_classes=20,
            scale=20)))
