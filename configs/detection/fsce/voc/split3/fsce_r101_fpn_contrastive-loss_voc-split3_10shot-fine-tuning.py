# FSCE 10-shot fine-tuning on VOC split 3 with the contrastive
# proposal encoding loss (IoU threshold 0.8, weight 0.5, halved after
# iterations 6000 and 10000); otherwise as the plain 10-shot config.
_base_ = [
    './fsce_r101_fpn_voc-split3_10shot-fine-tuning.py',
    '../../fsce_r101_fpn_contrastive-loss.py'
]
model = dict(roi_head={{_base_.contrastive_roi_head_10shot}})
custom_hooks = [
    dict(
        type='ContrastiveLossDecayHook',
        decay_steps={{_base_.decay_steps_10shot}},
        decay_rate=0.5)
]
