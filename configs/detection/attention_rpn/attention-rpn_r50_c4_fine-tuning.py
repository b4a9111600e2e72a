# Attention-RPN R50-C4 for few-shot fine-tuning on VOC: the weights come from
# the base model (`load_from`; the head is class-agnostic, nothing is
# re-initialised); only the multi-relation box head trains (backbone, RPN
# and res5 head frozen).
_base_ = ['./attention-rpn_r50_c4.py']
model = dict(
    frozen_parameters=['backbone', 'rpn_head', 'roi_head.shared_head'],
    backbone=dict(init_cfg=None),
    roi_head=dict(shared_head=dict(init_cfg=None)))
