# MPSR base training on PASCAL VOC 2007+2012 trainval (difficult boxes
# ignored), validation and test on VOC 2007 test (as the fine-tune based
# datasets). Per process and iteration: 2 images and 2 auxiliary objects
# (TwoBranchDataset, pipelines in ./pipelines.py), both streams drawn by
# infinite samplers. The method config names the classes of all three
# datasets and the evaluated splits.
_base_ = ['../fine_tune_based/base_voc.py', './pipelines.py']
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler'),
    dataset=dict(
        _delete_=True,
        type='TwoBranchDataset',
        reweight_dataset=False,
        main_dataset=dict(
            type='FewShotVOCDataset',
            data_root={{_base_.data_root}},
            ann_cfg=[
                dict(
                    type='ann_file',
                    ann_file='VOC2007/ImageSets/Main/trainval.txt'),
                dict(
                    type='ann_file',
                    ann_file='VOC2012/ImageSets/Main/trainval.txt')
            ],
            classes=None,
            use_difficult=False,
            multi_pipelines=dict(
                main={{_base_.main_pipeline}},
                auxiliary={{_base_.auxiliary_pipeline}}))),
    auxiliary_dataloader=dict(
        batch_size=2,
        num_workers=2,
        sampler=dict(type='DistributedInfiniteSampler', shuffle=True)))
