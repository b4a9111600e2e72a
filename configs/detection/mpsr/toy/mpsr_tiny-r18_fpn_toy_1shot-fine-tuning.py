# MPSR 1-shot fine-tuning on the toy dataset: the last checkpoint of the toy
# MPSR base training with a new classifier for the 8 classes (fc_cls
# re-initialised, std 0.001; the class-agnostic regressor is kept), one
# instance of each class (split seed 0) in both branches, the backbone
# frozen (a choice of the toy recipe; the original's configs never freeze
# it), the rest trains. MPSR's
# fine-tuning schedule made short: bias lr x2 and no bias decay, a quarter
# of the iterations warm-up from lr / 3, a step at 65%; lr 0.002 (at the
# original's 0.005 the toy model forgets its base classes within these 300
# iterations). Test on all 8 classes, AP50 of base and novel classes.
_base_ = ['./mpsr_tiny-r18_fpn_toy_base-training.py']
base_classes = ['circle', 'square', 'triangle', 'ring', 'cross', 'hexagon']
novel_classes = ['star', 'diamond']
classes = base_classes + novel_classes
model = dict(
    frozen_parameters=['backbone'],
    roi_head=dict(
        bbox_head=dict(
            num_classes=8,
            init_cfg=[
                dict(
                    type='Normal',
                    override=dict(type='Normal', name='fc_cls', std=0.001))
            ])))
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        reweight_dataset=True,
        main_dataset=dict(
            _delete_=True,
            type='FewShotVOCDefaultDataset',
            data_root={{_base_.data_root}},
            ann_root='data/toy_det/few_shot_ann',
            ann_cfg=[dict(method='MPSR', setting='1SHOT', seed=0)],
            classes=classes,
            novel_classes=novel_classes,
            num_novel_shots=1,
            num_base_shots=1,
            save_dataset=True,
            multi_pipelines=dict(
                main={{_base_.main_pipeline}},
                auxiliary={{_base_.auxiliary_pipeline}}))))
val_dataloader = dict(dataset=dict(classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_splits=dict(BASE_CLASSES=base_classes, NOVEL_CLASSES=novel_classes))
test_evaluator = val_evaluator
optim_wrapper = dict(
    optimizer=dict(lr=0.002),
    paramwise_cfg=dict(
        custom_keys={'.bias': dict(lr_mult=2.0, decay_mult=0.0)}))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1. / 3, by_epoch=False, begin=0, end=75),
    dict(type='MultiStepLR', by_epoch=False, milestones=[195])
]
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(checkpoint=dict(interval=300))
load_from = 'work_dirs/mpsr_tiny-r18_fpn_toy_base-training/iter_1200.pth'
# the base model classifies 6 classes + background: fc_cls starts anew
reinit_on_load = ['roi_head.bbox_head.fc_cls']
