# MPSR base training on the COCO 2014 trainval images minus the 5k test
# images, validation and test on the 5k images (as the fine-tune based
# datasets). Per process and iteration: 2 images and 2 auxiliary objects
# (TwoBranchDataset, pipelines in ./pipelines.py), both streams drawn by
# infinite samplers; objects narrower or lower than 8 pixels are not
# cropped for the auxiliary branch (its dataset is the main one with
# min_bbox_size=8). The method config names the classes and the evaluated
# splits.
_base_ = ['../fine_tune_based/base_coco.py', './pipelines.py']
coco_dataset = dict(
    type='FewShotCocoDataset',
    data_prefix=dict(img={{_base_.img_prefix}}),
    ann_cfg=[
        dict(
            type='ann_file',
            ann_file='data/few_shot_ann/coco/annotations/trainvalno5k.json')
    ],
    classes=None)
train_dataloader = dict(
    sampler=dict(type='DistributedInfiniteSampler'),
    dataset=dict(
        _delete_=True,
        type='TwoBranchDataset',
        reweight_dataset=False,
        main_dataset=dict(pipeline={{_base_.main_pipeline}}, **coco_dataset),
        auxiliary_dataset=dict(
            min_bbox_size=8,
            pipeline={{_base_.auxiliary_pipeline}},
            **coco_dataset)),
    auxiliary_dataloader=dict(
        batch_size=2,
        num_workers=2,
        sampler=dict(type='DistributedInfiniteSampler', shuffle=True)))
