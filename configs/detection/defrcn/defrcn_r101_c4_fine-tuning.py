# DeFRCN fine-tuning model (the authors' `defrcn_{fsod,gfsod}_r101_*.yaml`):
# the base model with dropout 0.8 in front of the classifier (CLS_DROPOUT),
# the res5 RoI feature extractor frozen (FREEZE_FEAT; the backbone from
# res4 on, the RPN, the decoupled layers and the box predictor train), the
# RoI head's Gradient Decoupled Layer at 0.001 (VOC; the COCO configs set
# 0.01) and the Prototypical Calibration Block at test time: torchvision's
# ImageNet ResNet-101 embeds the support boxes and the detections (RoIAlign
# 1x1 on res5, the 1000 logits), and every detection of a novel class with
# a score in (0.05, 1] gets 0.5 * score + 0.5 * cos(embedding, class
# prototype). Its weights: https://download.pytorch.org/models/
# resnet101-5d3b4d8f.pth (or an mmpretrain ResNet-101 checkpoint) at
# `calibration.checkpoint`. The detector's weights come from the base model
# after surgery (`load_from`), so no ImageNet weights are loaded here.
_base_ = ['./defrcn_r101_c4.py']
model = dict(
    frozen_parameters=['roi_head.shared_head'],
    roi_gdl=dict(backward_scale=0.001),
    backbone=dict(init_cfg=None),
    roi_head=dict(
        shared_head=dict(init_cfg=None), bbox_head=dict(cls_dropout=0.8)),
    calibration=dict(
        type='PrototypicalCalibrationBlock',
        checkpoint='data/pretrained/resnet101-5d3b4d8f.pth',
        alpha=0.5,
        score_range=(0.05, 1.0),
        calibrated_classes='novel'))
