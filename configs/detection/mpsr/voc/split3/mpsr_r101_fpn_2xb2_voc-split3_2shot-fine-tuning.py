# MPSR 2-shot fine-tuning on VOC split 3, as split 1 but with the
# auxiliary objects of rarer classes repeated (as the original config).
_base_ = ['../split1/mpsr_r101_fpn_2xb2_voc-split1_2shot-fine-tuning.py']
classes = 'ALL_CLASSES_SPLIT3'
train_dataloader = dict(
    dataset=dict(
        reweight_dataset=True,
        main_dataset=dict(
            ann_cfg=[dict(method='MPSR', setting='SPLIT3_2SHOT')],
            classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=['BASE_CLASSES_SPLIT3', 'NOVEL_CLASSES_SPLIT3'])
test_evaluator = val_evaluator
load_from = ('work_dirs/mpsr_r101_fpn_2xb2_voc-split3_base-training/'
             'iter_36000.pth')
