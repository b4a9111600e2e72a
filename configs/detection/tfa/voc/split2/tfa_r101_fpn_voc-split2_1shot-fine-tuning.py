# TFA fine-tuning on VOC split 2, as split 1 with learning rate 0.005
# (the original toolbox's setting for split 2).
_base_ = ['../split1/tfa_r101_fpn_voc-split1_1shot-fine-tuning.py']
classes = 'ALL_CLASSES_SPLIT2'
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT2_1SHOT')], classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT2', 'NOVEL_CLASSES_SPLIT2'])
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.005))
load_from = ('work_dirs/tfa_r101_fpn_voc-split2_base-training/'
             'base_model_random_init_bbox_head.pth')
