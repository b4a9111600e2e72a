# FSDetView R50-C4 (the original toolbox's `fsdetview_r50_c4.py`): Meta
# R-CNN whose box head reads [fc(q * s), fc(q - s), q] (each fc: Linear
# 2048 -> 1024, BatchNorm1d, ReLU; init N(0, 0.001), BN weights N(1, 0.02))
# instead of q * s, so it takes 4096 channels.
_base_ = ['../meta_rcnn/meta-rcnn_r50_c4.py']
model = dict(
    type='FSDetView',
    roi_head=dict(
        type='FSDetViewRoIHead',
        bbox_head=dict(in_channels=4096),
        aggregation_layer=dict(
            _delete_=True,
            type='AggregationLayer',
            aggregator_cfgs=[
                dict(
                    type='DepthWiseCorrelationAggregator',
                    in_channels=2048,
                    out_channels=1024,
                    with_fc=True),
                dict(
                    type='DifferenceAggregator',
                    in_channels=2048,
                    out_channels=1024,
                    with_fc=True)
            ],
            init_cfg=[
                dict(
                    type='Normal',
                    layer=['Conv1d', 'Conv2d', 'Linear'],
                    mean=0.0,
                    std=0.001),
                dict(type='Normal', layer=['BatchNorm1d'], mean=1.0, std=0.02)
            ])))
