# FSCE's contrastive proposal encoding, for the `*contrastive-loss*` configs:
# the RoI head that also encodes every RoI (128-d, from the shared FC
# feature) for the supervised contrastive loss (temperature 0.2), with the
# IoU threshold and loss weight of each shot count (the same for all
# splits), and the iterations after which the loss weight halves. A config
# puts them into the FSCE model of its plain counterpart:
#     model = dict(roi_head={{_base_.contrastive_roi_head_5shot}})
#     custom_hooks = [dict(type='ContrastiveLossDecayHook',
#                          decay_steps={{_base_.decay_steps_5shot}})]


def _roi_head(iou_threshold, loss_weight):
    return dict(
        type='ContrastiveRoIHead',
        bbox_head=dict(
            type='ContrastiveBBoxHead',
            mlp_head_channels=128,
            with_weight_decay=True,
            loss_contrast=dict(
                type='SupervisedContrastiveLoss',
                temperature=0.2,
                iou_threshold=iou_threshold,
                loss_weight=loss_weight,
                reweight_type='none'),
            init_cfg=[
                dict(
                    type='Caffe2Xavier',
                    override=dict(type='Caffe2Xavier', name='shared_fcs')),
                dict(
                    type='Normal',
                    override=dict(type='Normal', name='fc_cls', std=0.01)),
                dict(
                    type='Normal',
                    override=dict(type='Normal', name='fc_reg', std=0.001)),
                dict(
                    type='Caffe2Xavier',
                    override=dict(
                        type='Caffe2Xavier', name='contrastive_head'))
            ]))


contrastive_roi_head_3shot = _roi_head(iou_threshold=0.6, loss_weight=0.2)
contrastive_roi_head_5shot = _roi_head(iou_threshold=0.7, loss_weight=0.5)
contrastive_roi_head_10shot = _roi_head(iou_threshold=0.8, loss_weight=0.5)
decay_steps_3shot = [3000, 6000]
decay_steps_5shot = [4000, 7000]
decay_steps_10shot = [6000, 10000]
