# DeFRCN base-training model (the authors' `defrcn_det_r101_base*.yaml` on
# Detectron2): Faster R-CNN with Detectron2's ImageNet ResNet-101 (caffe)
# C4, stem and res2-res3 frozen (FREEZE_AT 3), a Gradient Decoupled Layer in
# front of the RPN (backward scale 0.0: the RPN sends no gradient into the
# backbone) and one in front of the RoI head (0.75), RoIAlign 7x7 so that
# the res5 head gives 4x4 features (POOLER_RESOLUTION 7), anchors also
# across the image border (BOUNDARY_THRESH -1). The fine-tuning model is
# `defrcn_r101_c4_fine-tuning.py`. The runnable configs set DeFRCN's SGD
# weight decay: 5e-5, and 1e-4 on biases (Detectron2 0.3 kept
# WEIGHT_DECAY_BIAS at its default when DeFRCN lowered WEIGHT_DECAY).
_base_ = ['../_base_/models/faster_rcnn_r50_caffe_c4.py']
pretrained = 'open-mmlab://detectron2/resnet101_caffe'
model = dict(
    type='DeFRCN',
    # the support path normalises the images of the calibration block
    # (torchvision's ImageNet statistics, RGB)
    data_preprocessor=dict(
        type='QuerySupportDataPreprocessor',
        support=dict(
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True)),
    rpn_gdl=dict(
        type='GradientDecoupledLayer', in_channels=1024, backward_scale=0.0),
    roi_gdl=dict(
        type='GradientDecoupledLayer', in_channels=1024, backward_scale=0.75),
    backbone=dict(
        depth=101,
        frozen_stages=2,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    roi_head=dict(
        shared_head=dict(
            depth=101, init_cfg=dict(type='Pretrained',
                                     checkpoint=pretrained)),
        bbox_roi_extractor=dict(roi_layer=dict(output_size=7)),
        bbox_head=dict(type='ClsDropoutBBoxHead', roi_feat_size=4)),
    train_cfg=dict(rpn=dict(allowed_border=-1)))
