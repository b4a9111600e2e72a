# Few-shot fine-tuning of Meta R-CNN style detectors on COCO: the K-shot set
# of the benchmark split files (K instances of each of the 80 classes) gives
# the query images and the 80-way 1-shot support batches; the model is
# initialised with exactly these instances before every evaluation (COCO 5k,
# AP of all, base and novel classes). The method config names the setting,
# the shots and `num_used_support_shots`. The training tool saves the K-shot
# set as `<work_dir>/saved_dataset.json`.
_base_ = ['./base_coco.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='NWayKShotDataset',
        num_support_ways=80,
        num_support_shots=1,
        one_support_shot_per_image=False,
        num_used_support_shots=None,
        query_dataset=dict(
            type='FewShotCocoDefaultDataset',
            data_prefix=dict(img={{_base_.img_prefix}}),
            ann_root={{_base_.ann_root}},
            ann_cfg=None,
            num_novel_shots=None,
            num_base_shots=None,
            classes='ALL_CLASSES',
            save_dataset=True,
            multi_pipelines=dict(
                query={{_base_.query_pipeline}},
                support={{_base_.support_pipeline}}))))
val_dataloader = dict(dataset=dict(classes='ALL_CLASSES'))
test_dataloader = val_dataloader
val_evaluator = dict(class_splits=['BASE_CLASSES', 'NOVEL_CLASSES'])
test_evaluator = val_evaluator
