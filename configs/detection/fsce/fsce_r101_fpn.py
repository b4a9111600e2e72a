# FSCE fine-tuning model: TFA's (Faster R-CNN R101-FPN, cosine classifier
# with scale 20) with only the backbone frozen, twice the proposals per
# image (2000) and half the sampled RoIs (256) at IoU 0.4. The weights come
# from a base-training checkpoint after surgery (`load_from`).
_base_ = ['../_base_/models/faster_rcnn_r50_caffe_fpn.py']
model = dict(
    type='FSCE',
    frozen_parameters=['backbone'],
    backbone=dict(depth=101, frozen_stages=4, init_cfg=None),
    roi_head=dict(
        bbox_head=dict(
            type='CosineSimBBoxHead',
            num_shared_fcs=2,
            num_classes=20,
            scale=20)),
    train_cfg=dict(
        rpn_proposal=dict(max_per_img=2000),
        rcnn=dict(
            assigner=dict(pos_iou_thr=0.4, neg_iou_thr=0.4, min_pos_iou=0.4),
            sampler=dict(num=256))))
