# FSCE 5-shot fine-tuning on VOC split 2 with the contrastive
# proposal encoding loss (IoU threshold 0.7, weight 0.5, halved after
# iterations 4000 and 7000); otherwise as the plain 5-shot config.
_base_ = [
    './fsce_r101_fpn_voc-split2_5shot-fine-tuning.py',
    '../../fsce_r101_fpn_contrastive-loss.py'
]
model = dict(roi_head={{_base_.contrastive_roi_head_5shot}})
custom_hooks = [
    dict(
        type='ContrastiveLossDecayHook',
        decay_steps={{_base_.decay_steps_5shot}},
        decay_rate=0.5)
]
