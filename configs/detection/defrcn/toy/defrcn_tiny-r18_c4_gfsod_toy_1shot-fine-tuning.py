# DeFRCN 1-shot fine-tuning on the toy dataset (generalised few-shot
# detection: all 8 classes), with the budget of the TFA toy fine-tuning
# (4 images a batch, 150 iterations) and the authors' recipe: lr half the
# base lr (0.01), no warm-up, one step at 80% of the iterations; the
# surgered toy base model (random_init); dropout 0.8 before the
# classifier; stem, res2, res3 and the res5 head frozen (with their BN),
# res4, the RPN, the decoupled layers (RoI head at 0.001) and the box
# predictor train. Calibration: the toy base model's backbone stands in for
# the ImageNet classifier (its res4 features pooled 1x1 by RoIAlign are the
# embeddings; it never saw a novel label), loaded from the surgered base
# model, whose backbone weights are the base model's.
_base_ = [
    '../../_base_/datasets/fine_tune_based/few_shot_toy_support_set.py',
    '../defrcn_tiny-r18_c4.py', '../../_base_/default_runtime.py'
]
frozen_bn = dict(type='BN', requires_grad=False)
surgered_base_model = ('work_dirs/defrcn_tiny-r18_c4_toy_base-training/'
                       'base_model_random_init_bbox_head.pth')
model = dict(
    frozen_parameters=['roi_head.shared_head'],
    roi_gdl=dict(backward_scale=0.001),
    backbone=dict(frozen_stages=2, norm_cfg=frozen_bn, norm_eval=True),
    roi_head=dict(
        shared_head=dict(norm_cfg=frozen_bn, norm_eval=True),
        bbox_head=dict(num_classes=8, cls_dropout=0.8)),
    calibration=dict(
        type='PrototypicalCalibrationBlock',
        checkpoint=surgered_base_model,
        backbone={{_base_.model.backbone}},
        fc=None,
        featmap_stride=8,
        alpha=0.5,
        score_range=(0.05, 1.0),
        calibrated_classes='novel'))
train_dataloader = dict(
    dataset=dict(
        ann_cfg=[dict(method='TFA', setting='1SHOT', seed=0)],
        num_novel_shots=1,
        num_base_shots=1))
optim_wrapper = dict(
    optimizer=dict(lr=0.01, weight_decay=5e-5),
    paramwise_cfg=dict(bias_decay_mult=2.0))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[120])]
train_cfg = dict(max_iters=150, val_interval=150)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=150))
load_from = surgered_base_model
