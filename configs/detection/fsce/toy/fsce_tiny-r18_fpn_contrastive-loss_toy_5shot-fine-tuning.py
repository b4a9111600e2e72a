# FSCE 5-shot fine-tuning on the toy dataset with the contrastive proposal
# encoding loss of 5 shots (IoU threshold 0.7, weight 0.5), halved after
# iterations 130 and 230 (the VOC decay steps scaled to the 300 toy
# iterations).
_base_ = [
    './fsce_tiny-r18_fpn_toy_5shot-fine-tuning.py',
    '../fsce_r101_fpn_contrastive-loss.py'
]
model = dict(roi_head={{_base_.contrastive_roi_head_5shot}})
custom_hooks = [
    dict(
        type='ContrastiveLossDecayHook',
        decay_steps=[130, 230],
        decay_rate=0.5)
]
