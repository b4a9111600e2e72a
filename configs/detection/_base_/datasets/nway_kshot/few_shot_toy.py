# Few-shot fine-tuning of Meta R-CNN style detectors on the toy dataset: the
# K-shot set of the toy split files (split seed 0; K instances of each of the
# 6 base and 2 novel classes) as query images and 8-way 1-shot support
# batches, constant learning rate 0.005. Test on all 8 classes, AP50 of base
# and novel classes. The method config sets the shots and iterations.
_base_ = ['./base_toy.py']
classes = [
    'circle', 'square', 'triangle', 'ring', 'cross', 'hexagon', 'star',
    'diamond'
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='NWayKShotDataset',
        num_support_ways=8,
        num_support_shots=1,
        one_support_shot_per_image=True,
        num_used_support_shots=30,
        # one shot per image drawn among all images holding a class: the
        # original's pool (the first instance of an image whose class has
        # room) can leave a class of a K-shot set without any instance
        support_pool='random',
        query_dataset=dict(
            type='FewShotVOCDefaultDataset',
            data_root={{_base_.data_root}},
            ann_root='data/toy_det/few_shot_ann',
            ann_cfg=None,
            classes=classes,
            novel_classes={{_base_.novel_classes}},
            num_novel_shots=None,
            num_base_shots=None,
            save_dataset=True,
            multi_pipelines=dict(
                query={{_base_.query_pipeline}},
                support={{_base_.support_pipeline}}))))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=dict(
        BASE_CLASSES={{_base_.base_classes}},
        NOVEL_CLASSES={{_base_.novel_classes}}))
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = []
