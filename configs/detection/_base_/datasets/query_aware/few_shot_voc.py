# Few-shot fine-tuning of Attention-RPN style detectors on PASCAL VOC: the
# K-shot set of the benchmark split files (all boxes, difficult ones left
# out) gives one query image per iteration and GPU with its support
# instances (the method config sets the shots). The model is initialised
# with the support instances of training of 32x32 pixels or more (the
# original toolbox's filter) before every evaluation; the checkpoints carry
# them and the training tool saves the K-shot set as
# `<work_dir>/saved_dataset.json`. The method config names the setting,
# the shots, the classes and the evaluated splits.
_base_ = ['./base_voc.py']
train_dataloader = dict(
    batch_size=1,
    dataset=dict(
        query_dataset=dict(
            _delete_=True,
            type='FewShotVOCDefaultDataset',
            data_root={{_base_.data_root}},
            ann_root='data/few_shot_ann/voc',
            ann_cfg=None,
            num_novel_shots=None,
            num_base_shots=None,
            classes=None,
            use_difficult=False,
            save_dataset=True,
            multi_pipelines=dict(
                query={{_base_.query_pipeline}},
                support={{_base_.support_pipeline}}))))
model_init_dataloader = dict(
    _delete_=True,
    batch_size=16,
    num_workers=1,
    copy_from_train=True,
    dataset=dict(
        type='FewShotVOCDataset',
        data_root={{_base_.data_root}},
        ann_cfg=None,
        classes=None,
        min_bbox_area=32 * 32,
        pipeline={{_base_.support_pipeline}}))
val_cfg = dict(model_init_dataloader=model_init_dataloader)
test_cfg = dict(model_init_dataloader=model_init_dataloader)
custom_hooks = [dict(type='SupportSetCheckpointHook')]
