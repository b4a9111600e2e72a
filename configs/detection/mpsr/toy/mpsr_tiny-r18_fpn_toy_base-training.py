# MPSR base training on the generated toy dataset (`tools/data/detection/
# make_toy_dataset.py data/toy_det`): the toy detector of TFA (a narrow
# ResNet-18 and FPN trained from scratch, 128x128 images) with MPSR's heads,
# boxes, proposals and NMS, trained on the images and on square crops of
# their objects at four scales. The objects of the toy images are about 15
# to 60 pixels, and the toy RPN's anchors are 4 times the stride of their
# level, so the crop scales are 16 to 128 pixels, each at the level whose
# anchors match it (4x4 maps, the centre 2x2 is "object"), classified at the
# finest level giving an 8x8 map (4x4 for the 16-pixel crops). Test on the
# base classes of the toy test images.
_base_ = ['../../tfa/toy/tfa_tiny-r18_fpn_toy_base-training.py']
multi_scales = (16, 32, 64, 128)
model = dict(
    type='MPSR',
    data_preprocessor=dict(type='TwoBranchDataPreprocessor'),
    # group norm: the crops of one scale (2 per iteration) must not set the
    # normalisation statistics of the images (the real configs' BN is
    # frozen)
    backbone=dict(norm_cfg=dict(type='GN', num_groups=8, requires_grad=True)),
    rpn_select_levels=[0, 1, 2, 3],
    roi_select_levels=[0, 0, 1, 2],
    rpn_head=dict(
        type='TwoBranchRPNHead',
        mid_channels=16,
        auxiliary_border=1,
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        type='TwoBranchRoIHead',
        bbox_roi_extractor=dict(
            roi_layer=dict(output_size=8, sampling_ratio=2)),
        bbox_head=dict(
            type='TwoBranchBBoxHead',
            roi_feat_size=8,
            reg_class_agnostic=True,
            num_cls_fcs=2,
            num_reg_fcs=2,
            auxiliary_loss_weight=0.1,
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(allowed_border=0),
        rpn_proposal=dict(
            max_per_img=None,
            max_per_batch=1200,
            nms=dict(type='nms', iou_threshold=0.7, offset=1))),
    test_cfg=dict(
        rpn=dict(nms=dict(type='nms', iou_threshold=0.7, offset=1)),
        rcnn=dict(nms=dict(type='nms', iou_threshold=0.5, offset=1))))
# one scale for the images (MPSR's scales come from the auxiliary crops)
main_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
auxiliary_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='CropInstance', context_ratio=1 / 7.),
    dict(
        type='ResizeToMultiScale',
        scales=[(s * 8 / 7., s * 8 / 7.) for s in multi_scales]),
    dict(
        type='MultiImageRandomCrop',
        crop_sizes=[(s, s) for s in multi_scales]),
    dict(type='MultiImageRandomFlip', prob=0.5),
    dict(type='MultiImagePackDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TwoBranchDataset',
        reweight_dataset=False,
        main_dataset=dict(
            type='FewShotVOCDataset',
            data_root={{_base_.data_root}},
            ann_cfg=[
                dict(type='ann_file', ann_file='ImageSets/Main/trainval.txt')
            ],
            classes={{_base_.base_classes}},
            multi_pipelines=dict(
                main=main_pipeline, auxiliary=auxiliary_pipeline))),
    auxiliary_dataloader=dict(
        batch_size=2,
        num_workers=1,
        sampler=dict(type='DistributedInfiniteSampler', shuffle=True)))
