# FSCE base training on VOC split 3: TFA's base training (FSCE
# fine-tunes the same base model; the original toolbox even releases the
# same checkpoint).
_base_ = ['../../../tfa/voc/split3/tfa_r101_fpn_voc-split3_base-training.py']
