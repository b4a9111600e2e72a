# Few-shot fine-tuning of Meta R-CNN style detectors on PASCAL VOC: the
# K-shot set of the benchmark split files (K instances of every base and
# novel class, difficult boxes ignored) gives the query images and, with at
# most 30 instances a class, the 20-way 1-shot support batches (each shot
# from another image). The model is initialised with exactly these support
# instances before every evaluation; the checkpoints carry them and the
# training tool saves the K-shot set as `<work_dir>/saved_dataset.json`.
# The method config names the setting, the shots, the classes and the
# evaluated splits.
_base_ = ['./base_voc.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='NWayKShotDataset',
        num_support_ways=20,
        num_support_shots=1,
        one_support_shot_per_image=False,
        num_used_support_shots=30,
        query_dataset=dict(
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
