# FSCE base training on COCO: TFA's base training (FSCE fine-tunes the
# same base model).
_base_ = ['../../tfa/coco/tfa_r101_fpn_coco_base-training.py']
