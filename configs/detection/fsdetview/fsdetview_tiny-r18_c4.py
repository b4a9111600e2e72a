# FSDetView made narrow for the toy dataset: the toy Meta R-CNN model
# (`meta-rcnn_tiny-r18_c4.py`) with FSDetView's head on its 128-channel RoI
# vectors: [fc(q * s), fc(q - s), q] with 64-channel fully connected
# blocks, 256 channels into the box head.
_base_ = ['../meta_rcnn/meta-rcnn_tiny-r18_c4.py']
model = dict(
    type='FSDetView',
    roi_head=dict(
        type='FSDetViewRoIHead',
        bbox_head=dict(in_channels=256),
        aggregation_layer=dict(
            _delete_=True,
            type='AggregationLayer',
            aggregator_cfgs=[
                dict(
                    type='DepthWiseCorrelationAggregator',
                    in_channels=128,
                    out_channels=64,
                    with_fc=True),
                dict(
                    type='DifferenceAggregator',
                    in_channels=128,
                    out_channels=64,
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
