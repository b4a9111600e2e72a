# Meta R-CNN R101-C4 for few-shot fine-tuning on VOC: the weights come from
# the base model (`load_from`), with the classifier, regressor and meta
# classifier initialised afresh for the 20 classes (`reinit_on_load`); the
# backbone (meta_conv included), the RPN and the res5 head are frozen.
# The query images of fine-tuning are padded to multiples of 32, test images
# and base training only to their batch, as by the original's pipelines.
_base_ = ['./meta-rcnn_r101_c4.py']
model = dict(
    data_preprocessor=dict(pad_size_divisor=32, test_pad_size_divisor=1),
    frozen_parameters=['backbone', 'rpn_head', 'roi_head.shared_head'],
    backbone=dict(init_cfg=None),
    roi_head=dict(shared_head=dict(init_cfg=None)))
reinit_on_load = [
    'roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg',
    'roi_head.bbox_head.fc_meta'
]
