# Few-shot fine-tuning of Attention-RPN style detectors on COCO: the K-shot
# set of the benchmark split files gives one query image per iteration and
# GPU with its support instances; the method config sets the classes (the
# original fine-tunes on the novel classes only), the shots and the
# repetitions. The model is initialised with the support instances of
# training of 32x32 pixels or more before every evaluation; the checkpoints
# carry them and the training tool saves the K-shot set.
_base_ = ['./base_coco.py']
train_dataloader = dict(
    batch_size=1,
    dataset=dict(
        query_dataset=dict(
            _delete_=True,
            type='FewShotCocoDefaultDataset',
            data_prefix=dict(img={{_base_.img_prefix}}),
            ann_root={{_base_.ann_root}},
            ann_cfg=None,
            num_novel_shots=None,
            num_base_shots=None,
            classes=None,
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
        type='FewShotCocoDataset',
        data_prefix=dict(img={{_base_.img_prefix}}),
        ann_cfg=None,
        classes=None,
        min_bbox_area=32 * 32,
        pipeline={{_base_.support_pipeline}}))
val_cfg = dict(model_init_dataloader=model_init_dataloader)
test_cfg = dict(model_init_dataloader=model_init_dataloader)
custom_hooks = [dict(type='SupportSetCheckpointHook')]
