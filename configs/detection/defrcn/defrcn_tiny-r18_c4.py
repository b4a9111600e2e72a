# DeFRCN made narrow for the toy dataset on a CPU (6 base classes): the
# R101-C4 model with a ResNet-18 of 16 base channels trained from scratch
# (trainable BN, nothing frozen), res4 at stride 8 for the 128-pixel
# images, anchors of 16-64 pixels, a 128-channel res5 head
# (`ScaledResLayer`), fewer proposals and RoIs. The decoupled layers and
# their backward scales are the authors' (RPN 0.0, RoI head 0.75).
_base_ = ['./defrcn_r101_c4.py']
trainable_bn = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    rpn_gdl=dict(in_channels=64),
    roi_gdl=dict(in_channels=64),
    backbone=dict(
        depth=18,
        base_channels=16,
        strides=(1, 2, 1),
        frozen_stages=-1,
        norm_cfg=trainable_bn,
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        anchor_generator=dict(scales=[2, 4, 8], strides=[8])),
    roi_head=dict(
        shared_head=dict(
            type='ScaledResLayer',
            depth=18,
            base_channels=16,
            style='pytorch',
            norm_cfg=trainable_bn,
            norm_eval=False,
            init_cfg=None),
        bbox_roi_extractor=dict(out_channels=64, featmap_strides=[8]),
        bbox_head=dict(in_channels=128, num_classes=6)),
    train_cfg=dict(
        rpn=dict(sampler=dict(num=128)),
        rpn_proposal=dict(nms_pre=400, max_per_img=150),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=100), rcnn=dict(max_per_img=50)))
