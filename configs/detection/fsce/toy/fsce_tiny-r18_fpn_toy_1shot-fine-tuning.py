# FSCE 1-shot fine-tuning on the toy dataset: TFA's toy 1-shot setting
# (the surgered toy base model, one instance of each of the 8 classes)
# with FSCE's changes: the second shared FC also trains, twice the
# proposals per image and half the sampled RoIs, at IoU 0.4.
_base_ = ['../../tfa/toy/tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py']
model = dict(
    type='FSCE',
    frozen_parameters=[
        'backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs.0'
    ],
    train_cfg=dict(
        rpn_proposal=dict(max_per_img=300),
        rcnn=dict(
            assigner=dict(pos_iou_thr=0.4, neg_iou_thr=0.4, min_pos_iou=0.4),
            sampler=dict(num=32))))
