# FSCE base training on VOC split 1: TFA's base training (FSCE
# fine-tunes the same base model; the original toolbox even releases the
# same checkpoint).
_base_ = ['../../../tfa/voc/split1/tfa_r101_fpn_voc-split1_base-training.py']
