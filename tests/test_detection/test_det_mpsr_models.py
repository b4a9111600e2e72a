"""MPSR's heads against hand-computed values: the RPN head's objectness
branch, auxiliary positives and loss normaliser, its batch-wide proposal
limit; the box head's auxiliary classifier and loss."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.models import (TwoBranchBBoxHead, TwoBranchRoIHead,
                                        TwoBranchRPNHead)
from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError


# ------------------------------------------------------------- RPN head
def rpn_head(**kwargs):
    head = TwoBranchRPNHead(
        in_channels=8,
        feat_channels=8,
        mid_channels=4,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='SmoothL1Loss', beta=1 / 9., loss_weight=1.0),
        train_cfg=ConfigDict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=32,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=0,
            pos_weight=-1,
            debug=False),
        test_cfg=ConfigDict(
            nms_pre=100,
            max_per_img=20,
            nms=dict(type='nms', iou_threshold=0.7, offset=1),
            min_bbox_size=0),
        **kwargs)
    head.init_weights()
    return head


def test_objectness_goes_through_a_per_anchor_classifier():
    head = rpn_head()
    assert head.rpn_cls_conv.out_channels == 3 * 4
    assert tuple(head.rpn_cls.weight.shape) == (1, 4, 1, 1)
    x = torch.randn(2, 8, 6, 5)
    cls_score, bbox_pred = head.forward_single(x)
    assert cls_score.shape == (2, 3, 6, 5) and bbox_pred.shape == (2, 12, 6, 5)
    feat = F.relu(head.rpn_conv(x))
    cls_feat = head.rpn_cls_conv(feat)
    for anchor in range(3):
        expected = head.rpn_cls(cls_feat[:, 4 * anchor:4 * (anchor + 1)])
        assert torch.allclose(
            cls_score[:, anchor:anchor + 1], expected, atol=1e-6)
    assert torch.allclose(bbox_pred, head.rpn_reg(feat))


def test_auxiliary_objectness_is_the_centre_of_the_map():
    head = rpn_head()
    feat = torch.randn(2, 8, 8, 8)
    scores, = head.forward_auxiliary([feat])
    assert scores.shape == (2, 3, 2, 2)
    # a 3x3 convolution then a cut equals a cut of the whole map's scores
    full, _ = head.forward_single(feat)
    assert torch.allclose(scores, full[..., 3:-3, 3:-3], atol=1e-6)
    with pytest.raises(ConfigError, match='6x6; auxiliary_border=3'):
        head.forward_auxiliary([torch.randn(1, 8, 6, 6)])


def _rpn_inputs(head, seed=0):
    generator = torch.Generator().manual_seed(seed)
    sizes = [(16, 16), (8, 8)]
    cls_scores = [
        torch.randn(2, 3, h, w, generator=generator) for h, w in sizes
    ]
    bbox_preds = [
        torch.randn(2, 12, h, w, generator=generator) * 0.1 for h, w in sizes
    ]
    gts = [
        InstanceData(
            bboxes=torch.tensor([[8., 8., 40., 40.]]),
            labels=torch.tensor([0])),
        InstanceData(
            bboxes=torch.tensor([[20., 4., 60., 30.], [2., 30., 30., 62.]]),
            labels=torch.tensor([0, 0]))
    ]
    metas = [dict(img_shape=(64, 64), pad_shape=(64, 64))] * 2
    auxiliary = [
        torch.randn(2, 3, 2, 2, generator=generator),
        torch.randn(2, 3, 3, 3, generator=generator)
    ]
    return cls_scores, bbox_preds, gts, metas, auxiliary


def test_objectness_normaliser_counts_the_auxiliary_positions():
    head = rpn_head()
    cls_scores, bbox_preds, gts, metas, auxiliary = _rpn_inputs(head)
    torch.manual_seed(3)
    losses = head.loss_by_feat(
        cls_scores, bbox_preds, gts, metas, auxiliary_cls_scores=auxiliary)
    assert set(losses) == {
        'loss_rpn_cls', 'loss_rpn_cls_auxiliary', 'loss_rpn_bbox'
    }
    assert len(losses['loss_rpn_cls']) == 2
    assert len(losses['loss_rpn_cls_auxiliary']) == 2
    # the same sampling (same seed) through mmdet's RPN loss and targets
    torch.manual_seed(3)
    plain = RPNHead.loss_by_feat(head, cls_scores, bbox_preds, gts, metas)
    torch.manual_seed(3)
    anchors, valid = head.get_anchors([s.shape[-2:] for s in cls_scores],
                                      metas,
                                      device='cpu')
    num_samples = head.get_targets(anchors, valid, gts, metas)[-1]
    assert num_samples == 64  # 32 sampled anchors per image
    num_auxiliary = 2 * 3 * 2 * 2 + 2 * 3 * 3 * 3
    normaliser = num_samples + num_auxiliary
    main = sum(losses['loss_rpn_cls'])
    assert main.item() == pytest.approx(
        sum(plain['loss_rpn_cls']).item() * num_samples / normaliser, rel=1e-5)
    for ours, theirs in zip(losses['loss_rpn_bbox'], plain['loss_rpn_bbox']):
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)
    # every auxiliary anchor position is an object
    expected = sum(
        F.binary_cross_entropy_with_logits(
            score, torch.ones_like(score), reduction='sum')
        for score in auxiliary) / normaliser
    assert sum(losses['loss_rpn_cls_auxiliary']).item() == pytest.approx(
        expected.item(), rel=1e-5)


def test_proposals_max_per_batch_keeps_the_best_of_the_batch():
    head = rpn_head()
    cls_scores, bbox_preds, _, metas, _ = _rpn_inputs(head, seed=1)
    metas = [dict(m, scale_factor=(1., 1.)) for m in metas]
    cfg = ConfigDict(
        nms_pre=100,
        max_per_img=None,
        max_per_batch=30,
        nms=dict(type='nms', iou_threshold=0.7, offset=1),
        min_bbox_size=0)
    head.eval()
    every = head.predict_by_feat(
        cls_scores, bbox_preds, batch_img_metas=metas, cfg=cfg)
    head.train()
    kept = head.predict_by_feat(
        cls_scores, bbox_preds, batch_img_metas=metas, cfg=cfg)
    assert sum(len(r) for r in every) > 30
    assert sum(len(r) for r in kept) == 30
    best = torch.cat([r.scores for r in every]).sort(descending=True)[0][:30]
    assert torch.equal(
        torch.cat([r.scores for r in kept]).sort(descending=True)[0], best)
    # every image keeps its own proposals
    for mine, all_of_image in zip(kept, every):
        assert set(mine.scores.tolist()) <= set(all_of_image.scores.tolist())
    with pytest.raises(ConfigError, match='max_per_batch or max_per_img'):
        head.predict_by_feat(
            cls_scores,
            bbox_preds,
            batch_img_metas=metas,
            cfg=dict(cfg, max_per_img=10))


# ------------------------------------------------------------- box head
def bbox_head(**kwargs):
    head = TwoBranchBBoxHead(
        in_channels=4,
        roi_feat_size=2,
        fc_out_channels=6,
        num_classes=3,
        num_cls_fcs=2,
        num_reg_fcs=2,
        reg_class_agnostic=True,
        **kwargs)
    head.init_weights()
    return head


def test_box_head_has_no_relu_after_the_last_classification_layer():
    head = bbox_head()
    assert len(head.shared_fcs) == 0
    x = torch.randn(5, 4, 2, 2)
    cls_score, bbox_pred = head(x)
    flat = x.flatten(1)
    hidden = head.cls_fcs[1](torch.relu(head.cls_fcs[0](flat)))
    assert (hidden < 0).any()  # a ReLU would have changed the result
    assert torch.allclose(cls_score, head.fc_cls(hidden), atol=1e-6)
    reg = torch.relu(head.reg_fcs[1](torch.relu(head.reg_fcs[0](flat))))
    assert torch.allclose(bbox_pred, head.fc_reg(reg), atol=1e-6)
    assert cls_score.shape == (5, 4) and bbox_pred.shape == (5, 4)


def test_auxiliary_scores_and_loss():
    head = bbox_head(auxiliary_loss_weight=0.25)
    maps = torch.randn(3, 4, 4, 6)
    scores = head.forward_auxiliary(maps)
    # adaptive average pooling to roi_feat_size (2x2), then the classifier
    pooled = F.adaptive_avg_pool2d(maps, 2)
    assert torch.allclose(scores, head(pooled)[0], atol=1e-6)
    labels = torch.tensor([0, 2, 1])
    losses = head.auxiliary_loss(scores, labels)
    assert set(losses) == {'loss_cls_auxiliary', 'acc_auxiliary'}
    assert losses['loss_cls_auxiliary'].item() == pytest.approx(
        0.25 * F.cross_entropy(scores, labels).item(), rel=1e-5)
    correct = (scores.argmax(1) == labels).float().mean() * 100
    assert losses['acc_auxiliary'].item() == pytest.approx(correct.item())
    with pytest.raises(ConfigError, match='auxiliary_loss_weight'):
        bbox_head(auxiliary_loss_weight=-1)


def test_roi_head_classifies_the_maps_of_every_scale():
    roi_head_cfg = dict(
        type='TwoBranchRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=2, sampling_ratio=0),
            out_channels=4,
            featmap_strides=[4]),
        bbox_head=dict(
            type='TwoBranchBBoxHead',
            in_channels=4,
            roi_feat_size=2,
            fc_out_channels=6,
            num_classes=3,
            num_cls_fcs=2,
            num_reg_fcs=2))
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        roi_head = MODELS.build(roi_head_cfg)
    assert isinstance(roi_head, TwoBranchRoIHead)
    feats = [torch.randn(2, 4, 8, 8), torch.randn(1, 4, 4, 4)]
    labels = [torch.tensor([0, 1]), torch.tensor([2])]
    losses = roi_head.auxiliary_loss(feats, labels)
    scores = torch.cat(
        [roi_head.bbox_head.forward_auxiliary(f) for f in feats])
    expected = 0.1 * F.cross_entropy(scores, torch.tensor([0, 1, 2]))
    assert losses['loss_cls_auxiliary'].item() == pytest.approx(
        expected.item(), rel=1e-5)
