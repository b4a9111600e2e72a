# Meta R-CNN R50-C4 (the original toolbox's `meta-rcnn_r50_c4.py`): the
# backbone reads image + mask supports through its `meta_conv`, the res5
# head turns them into class-attentive vectors that re-weight the query RoI
# features (dot product), and the box head adds the meta-classification
# loss. Support inputs (GenerateMask: BGR + a 255 mask) are normalised to
# BGR - mean and a 0/1 mask. RPN with softmax scores, 128 RoIs per image,
# 300 test proposals, box NMS 0.3.
_base_ = ['../_base_/models/faster_rcnn_r50_caffe_c4.py']
model = dict(
    type='MetaRCNN',
    data_preprocessor=dict(
        type='QuerySupportDataPreprocessor',
        support=dict(
            mean=[103.530, 116.280, 123.675, 0.0], std=[1.0, 1.0, 1.0,
                                                        255.0])),
    backbone=dict(type='ResNetWithMetaConv', frozen_stages=2),
    rpn_head=dict(feat_channels=512, loss_cls=dict(use_sigmoid=False)),
    roi_head=dict(
        type='MetaRCNNRoIHead',
        shared_head=dict(type='MetaRCNNResLayer'),
        bbox_head=dict(
            type='MetaBBoxHead',
            with_avg_pool=False,
            in_channels=2048,
            roi_feat_size=1,
            num_classes=80,
            num_meta_classes=80,
            meta_cls_in_channels=2048,
            with_meta_cls_loss=True,
            loss_meta=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', loss_weight=1.0)),
        aggregation_layer=dict(
            type='AggregationLayer',
            aggregator_cfgs=[
                dict(
                    type='DotProductAggregator',
                    in_channels=2048,
                    with_fc=False)
            ])),
    train_cfg=dict(rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(max_per_img=300), rcnn=dict(nms=dict(iou_threshold=0.3))))
