# Attention-RPN R50-C4 (the original toolbox's `attention-rpn_r50_c4.py`):
# the RPN correlates the query res4 features depth-wise with a support
# class's mean res4 RoI feature; the multi-relation head (patch, local and
# global relation) scores each proposal against the class's res5 RoI
# feature, class-agnostically; 2 ways (the query's class and one other) x
# 10 shots in base training; 128 RoIs per pair, half positive; 100 test
# proposals per class. The method config sets the shots of fine-tuning.
_base_ = ['../_base_/models/faster_rcnn_r50_caffe_c4.py']
num_support_ways = 2
num_support_shots = 10
model = dict(
    type='AttentionRPNDetector',
    data_preprocessor=dict(type='QuerySupportDataPreprocessor'),
    backbone=dict(frozen_stages=2),
    rpn_head=dict(
        type='AttentionRPNHead',
        in_channels=1024,
        feat_channels=1024,
        num_support_ways=num_support_ways,
        num_support_shots=num_support_shots,
        roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=1024,
            featmap_strides=[16]),
        aggregation_layer=dict(
            type='AggregationLayer',
            aggregator_cfgs=[
                dict(
                    type='DepthWiseCorrelationAggregator',
                    in_channels=1024,
                    with_fc=False)
            ])),
    roi_head=dict(
        type='MultiRelationRoIHead',
        num_support_ways=num_support_ways,
        num_support_shots=num_support_shots,
        bbox_head=dict(
            _delete_=True,
            type='MultiRelationBBoxHead',
            patch_relation=True,
            local_correlation=True,
            global_relation=True,
            roi_feat_size=14,
            in_channels=2048,
            num_classes=1,
            reg_class_agnostic=True,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0),
            init_cfg=[
                dict(
                    type='Normal',
                    override=dict(
                        type='Normal', name='patch_relation_branch',
                        std=0.01)),
                dict(
                    type='Normal',
                    override=dict(
                        type='Normal', name='patch_relation_fc_cls',
                        std=0.01)),
                dict(
                    type='Normal',
                    override=dict(
                        type='Normal', name='patch_relation_fc_reg',
                        std=0.001)),
                dict(
                    type='Normal',
                    override=dict(
                        type='Normal',
                        name='local_correlation_branch',
                        std=0.01)),
                dict(
                    type='Normal',
                    override=dict(
                        type='Normal',
                        name='local_correlation_fc_cls',
                        std=0.01)),
                dict(
                    type='Normal',
                    override=dict(
                        type='Normal', name='global_relation_branch',
                        std=0.01)),
                dict(
                    type='Normal',
                    override=dict(
                        type='Normal', name='global_relation_fc_cls',
                        std=0.01))
            ])),
    train_cfg=dict(
        rpn=dict(allowed_border=-1),
        rcnn=dict(sampler=dict(num=128, pos_fraction=0.5))),
    test_cfg=dict(rpn=dict(max_per_img=100)))
