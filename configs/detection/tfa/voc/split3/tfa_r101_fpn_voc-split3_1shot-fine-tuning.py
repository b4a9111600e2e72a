# TFA fine-tuning on VOC split 3, as split 1.
_base_ = ['../split1/tfa_r101_fpn_voc-split1_1shot-fine-tuning.py']
classes = 'ALL_CLASSES_SPLIT3'
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='SPLIT3_1SHOT')], classes=classes))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT3', 'NOVEL_CLASSES_SPLIT3'])
test_evaluator = val_evaluator
load_from = ('work_dirs/tfa_r101_fpn_voc-split3_base-training/'
             'base_model_random_init_bbox_head.pth')
