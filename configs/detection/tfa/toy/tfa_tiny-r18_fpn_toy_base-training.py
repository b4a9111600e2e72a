# TFA base training on the generated toy dataset
# (`tools/data/detection/make_toy_dataset.py data/toy_det`: shapes on
# cluttered 128x128 backgrounds, 6 base and 2 novel classes): Faster R-CNN
# with a narrow ResNet-18 (16 base channels) and FPN trained from scratch on
# the base classes, a few minutes on 2 CPU cores. Test on the base classes
# of the toy test images. Used by `make demo-detection` and the tests.
_base_ = [
    '../../_base_/datasets/fine_tune_based/base_toy.py',
    '../../_base_/models/faster_rcnn_r50_caffe_fpn.py',
    '../../_base_/schedules/schedule.py', '../../_base_/default_runtime.py'
]
# the caffe R50-FPN Faster R-CNN made small: a ResNet-18 of 16 base channels
# with trainable BN from scratch, 32-channel FPN, anchors from 16 pixels,
# fewer proposals and sampled RoIs
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    rpn_head=dict(
        in_channels=32, feat_channels=32, anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(
            roi_layer=dict(use_torchvision=True),
            out_channels=32,
            finest_scale=28),
        bbox_head=dict(in_channels=32, fc_out_channels=256, num_classes=6)),
    train_cfg=dict(
        rpn=dict(sampler=dict(num=128)),
        rpn_proposal=dict(nms_pre=200, max_per_img=150),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=100), rcnn=dict(max_per_img=50)))

optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[900, 1100])
]
train_cfg = dict(max_iters=1200, val_interval=1200)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=600))
