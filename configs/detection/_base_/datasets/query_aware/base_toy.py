# Base training of Attention-RPN style detectors on the generated toy
# dataset (`tools/data/detection/make_toy_dataset.py data/toy_det`: 128x128
# images, 6 base and 2 novel shape classes): 4 query images a batch (the
# scales of the TFA toy configs, no flip), each with 2 ways x 5 shots of
# support crops (4 pixels of context, 64x64). The toy objects are small, so
# no image is dropped for its box sizes. Model initialisation with the first
# 100 instances of every base class; validation and test on the base
# classes of the toy test images. Schedule: 1200 iterations, lr 0.004 (the
# method's base-training rate; 0.02, the TFA toy's, diverges), warm-up 100,
# steps at 900 and 1100 (the Attention-RPN toy config replaces it with a
# shorter AdamW schedule and says why).
_base_ = ['./base_voc.py']
data_root = 'data/toy_det/'
base_classes = ['circle', 'square', 'triangle', 'ring', 'cross', 'hexagon']
novel_classes = ['star', 'diamond']
toy_trainval = [dict(type='ann_file', ann_file='ImageSets/Main/trainval.txt')]
query_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(112, 112), (128, 128), (144, 144)],
        keep_ratio=True,
        resize_type='mmdet.Resize'),
    dict(type='PackDetInputs')
]
support_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='CropResizeInstance', num_context_pixels=4, target_size=(64, 64)),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        num_support_shots=5,
        query_dataset=dict(
            data_root=data_root,
            ann_cfg=toy_trainval,
            classes=base_classes,
            min_bbox_area=None,
            multi_pipelines=dict(
                query=query_pipeline, support=support_pipeline))))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_cfg=[dict(type='ann_file', ann_file='ImageSets/Main/test.txt')],
        classes=base_classes,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    eval_mode='area',
    class_splits=dict(_delete_=True, BASE_CLASSES=base_classes))
test_evaluator = val_evaluator
model_init_dataloader = dict(
    num_workers=0,
    dataset=dict(
        data_root=data_root,
        ann_cfg=toy_trainval,
        classes=base_classes,
        min_bbox_area=None,
        pipeline=support_pipeline))
val_cfg = dict(model_init_dataloader=model_init_dataloader)
test_cfg = dict(model_init_dataloader=model_init_dataloader)
optim_wrapper = dict(optimizer=dict(lr=0.004))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[900, 1100])
]
train_cfg = dict(max_iters=1200, val_interval=1200)
