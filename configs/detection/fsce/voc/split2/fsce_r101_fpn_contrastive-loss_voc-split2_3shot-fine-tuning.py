# FSCE 3-shot fine-tuning on VOC split 2 with the contrastive
# proposal encoding loss (IoU threshold 0.6, weight 0.2, halved after
# iterations 3000 and 6000); otherwise as the plain 3-shot config.
_base_ = [
    './fsce_r101_fpn_voc-split2_3shot-fine-tuning.py',
    '../../fsce_r101_fpn_contrastive-loss.py'
]
model = dict(roi_head={{_base_.contrastive_roi_head_3shot}})
custom_hooks = [
    dict(
        type='ContrastiveLossDecayHook',
        decay_steps={{_base_.decay_steps_3shot}},
        decay_rate=0.5)
]
