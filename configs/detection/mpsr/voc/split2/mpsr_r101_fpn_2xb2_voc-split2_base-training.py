# MPSR base training on VOC split 2, as split 1.
_base_ = ['../split1/mpsr_r101_fpn_2xb2_voc-split1_base-training.py']
classes = 'BASE_CLASSES_SPLIT2'
train_dataloader = dict(dataset=dict(main_dataset=dict(classes=classes)))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=[classes])
test_evaluator = val_evaluator
