# DeFRCN base training on VOC split 2 (the authors'
# `defrcn_det_r101_base2.yaml`): the DeFRCN model on the 15 base classes,
# initialised from Detectron2's ImageNet ResNet-101 (caffe); 8 GPUs x 2 images
# (the authors' 16 images a batch), lr 0.02, 15k iterations, steps at 10k and
# 13.3k, warm-up 100, weight decay 5e-5 (1e-4 on biases). The next steps are
# the surgeries of its last checkpoint (configs/detection/defrcn README).
_base_ = [
    '../../../_base_/datasets/fine_tune_based/base_voc.py',
    '../../../_base_/schedules/schedule.py', '../../defrcn_r101_c4.py',
    '../../../_base_/default_runtime.py'
]
classes = 'BASE_CLASSES_SPLIT2'
train_dataloader = dict(dataset=dict(classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
model = dict(roi_head=dict(bbox_head=dict(num_classes=15)))
optim_wrapper = dict(
    optimizer=dict(weight_decay=5e-5), paramwise_cfg=dict(bias_decay_mult=2.0))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[10000, 13300])
]
train_cfg = dict(max_iters=15000, val_interval=15000)
