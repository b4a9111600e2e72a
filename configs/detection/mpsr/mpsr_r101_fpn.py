# MPSR model: Faster R-CNN R101-FPN (caffe, Detectron2's ImageNet weights)
# trained on images and on square crops of their objects at 6 scales. Crop
# scale s (32, 64, 128, 256, 512, 800) feeds the RPN at FPN level
# rpn_select_levels[s] (8x8 maps; the 800-pixel crop's 13x13 cut to 9x9),
# whose centre after the 3x3 conv is "object" for every anchor, and the box
# classifier at level roi_select_levels[s]. Class-agnostic box regression,
# two classification and two regression FC layers on 8x8 RoI features,
# Smooth L1 losses, the proposals of the whole batch limited to 2000, NMS
# with offset 1, MPSR's pixel means. Training images and crops are padded
# to multiples of 32, test images are not, as by the original's pipelines.
_base_ = ['../_base_/models/faster_rcnn_r50_caffe_fpn.py']
model = dict(
    type='MPSR',
    data_preprocessor=dict(
        type='TwoBranchDataPreprocessor',
        mean=[102.9801, 115.9465, 122.7717],
        test_pad_size_divisor=1),
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnet101_caffe')),
    rpn_select_levels=[0, 1, 2, 3, 4, 4],
    roi_select_levels=[0, 0, 0, 1, 2, 3],
    rpn_select_borders=[0, 0, 0, 0, 0, 2],
    rpn_head=dict(
        type='TwoBranchRPNHead',
        mid_channels=64,
        auxiliary_border=3,
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        type='TwoBranchRoIHead',
        bbox_roi_extractor=dict(
            roi_layer=dict(output_size=8, sampling_ratio=2)),
        bbox_head=dict(
            type='TwoBranchBBoxHead',
            reg_class_agnostic=True,
            num_classes=20,
            roi_feat_size=8,
            num_cls_fcs=2,
            num_reg_fcs=2,
            fc_out_channels=1024,
            auxiliary_loss_weight=0.1,
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(allowed_border=0),
        rpn_proposal=dict(
            nms_pre=2000,
            max_per_img=None,
            max_per_batch=2000,
            nms=dict(type='nms', iou_threshold=0.7, offset=1),
            min_bbox_size=0)),
    test_cfg=dict(
        rpn=dict(nms=dict(type='nms', iou_threshold=0.7, offset=1)),
        rcnn=dict(nms=dict(type='nms', iou_threshold=0.5, offset=1))))
