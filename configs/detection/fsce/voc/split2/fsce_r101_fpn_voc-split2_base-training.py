# FSCE base training on VOC split 2: TFA's base training (FSCE
# fine-tunes the same base model; the original toolbox even releases the
# same checkpoint).
_base_ = ['../../../tfa/voc/split2/tfa_r101_fpn_voc-split2_base-training.py']
