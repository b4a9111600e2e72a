# MPSR few-shot fine-tuning on COCO: the K-shot set of the TFA benchmark
# split files (K instances of each of the 80 classes) in both branches,
# validation and test on the 5k images with all 80 classes, AP reported for
# all, base and novel classes. The method config names the setting and the
# shots of both datasets (`few_shot_dataset`). The training tool saves the
# loaded K-shot set of the main branch as `<work_dir>/saved_dataset.json`.
_base_ = ['./base_coco.py']
few_shot_dataset = dict(
    type='FewShotCocoDefaultDataset',
    data_prefix=dict(img={{_base_.img_prefix}}),
    ann_root={{_base_.ann_root}},
    ann_cfg=None,
    num_novel_shots=None,
    num_base_shots=None,
    classes='ALL_CLASSES')
train_dataloader = dict(
    dataset=dict(
        main_dataset=dict(
            _delete_=True,
            save_dataset=True,
            pipeline={{_base_.main_pipeline}},
            **few_shot_dataset),
        auxiliary_dataset=dict(
            _delete_=True,
            min_bbox_size=8,
            pipeline={{_base_.auxiliary_pipeline}},
            **few_shot_dataset)))
val_dataloader = dict(dataset=dict(classes='ALL_CLASSES'))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=['BASE_CLASSES', 'NOVEL_CLASSES'])
test_evaluator = val_evaluator
