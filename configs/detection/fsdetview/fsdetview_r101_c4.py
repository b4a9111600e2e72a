# FSDetView R101-C4 for PASCAL VOC (20 classes): the R50 model with
# Detectron2's ImageNet ResNet-101 in the backbone and the res5 head.
_base_ = ['./fsdetview_r50_c4.py']
pretrained = 'open-mmlab://detectron2/resnet101_caffe'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    roi_head=dict(
        shared_head=dict(
            init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
        bbox_head=dict(num_classes=20, num_meta_classes=20)))
