"""The common machinery of the query-support detectors and Meta R-CNN /
FSDetView on synthetic inputs: data preprocessor, aggregators, support
cache, prediction, losses, frozen parameters, model-initialisation loops.

Models are the narrow toy configs with random weights (no ImageNet weights
are fetched); every test takes a second or two.
"""
import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import mmfewshot.detection  # noqa: F401
from mmfewshot.detection.engine import ModelInitData
from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs/detection'
META_RCNN = CONFIGS / ('meta_rcnn/toy/'
                       'meta-rcnn_tiny-r18_c4_toy_base-training.py')
META_RCNN_FT = CONFIGS / ('meta_rcnn/toy/'
                          'meta-rcnn_tiny-r18_c4_toy_1shot-fine-tuning.py')
FSDETVIEW = CONFIGS / ('fsdetview/toy/'
                       'fsdetview_tiny-r18_c4_toy_base-training.py')
FSDETVIEW_FT = CONFIGS / ('fsdetview/toy/'
                          'fsdetview_tiny-r18_c4_toy_1shot-fine-tuning.py')
ARPN = CONFIGS / ('attention_rpn/toy/'
                  'attention-rpn_tiny-r18_c4_toy_base-training.py')
ARPN_FT = CONFIGS / ('attention_rpn/toy/'
                     'attention-rpn_tiny-r18_c4_toy_1shot-fine-tuning.py')
# one support shot per way in the Attention-RPN tests
ONE_SHOT = {'rpn_head.num_support_shots': 1, 'roi_head.num_support_shots': 1}


@pytest.fixture(autouse=True)
def scope():
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        yield


def build(path, **model_overrides):
    model_cfg = copy.deepcopy(Config.fromfile(str(path)).model)
    # no pretrained weights (the Attention-RPN toy base model starts from
    # another toy model's checkpoint)
    for part in (model_cfg.backbone, model_cfg.roi_head.get('shared_head')
                 or {}):
        part.pop('init_cfg', None)
    for key, value in model_overrides.items():
        node = model_cfg
        *parents, last = key.split('.')
        for parent in parents:
            node = node[parent]
        node[last] = value
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


# ------------------------------------------------------------ inputs
def query_sample(boxes, labels, img_shape=(64, 64), scale=1.0, img_id=0):
    height, width = img_shape
    sample = DetDataSample(
        metainfo=dict(
            img_id=img_id,
            img_shape=img_shape,
            ori_shape=(round(height / scale), round(width / scale)),
            scale_factor=(scale, scale)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        labels=torch.tensor(labels, dtype=torch.long))
    sample.ignored_instances = InstanceData(
        bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    return sample


def images(num, channels=3, size=(64, 64), seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [
        torch.randint(0, 256, (channels, *size),
                      generator=generator).to(torch.uint8) for _ in range(num)
    ]


def support_batch(labels, size=32, seed=1, channels=4):
    """Support images, one box each: image + mask (Meta R-CNN, FSDetView)
    or crops (``channels=3``, Attention-RPN)."""
    inputs = images(
        len(labels), channels=channels, size=(size, size), seed=seed)
    for image in inputs[:len(labels) if channels == 4 else 0]:
        image[3] = 0
        image[3, 4:20, 6:24] = 255
    samples = [
        query_sample([[6, 4, 24, 20]], [label], (size, size), img_id=i)
        for i, label in enumerate(labels)
    ]
    return dict(inputs=inputs, data_samples=samples)


def support_for(model, labels, **kwargs):
    """A support batch of the input kind of ``model``."""
    channels = 4 if hasattr(model.backbone, 'meta_conv') else 3
    return support_batch(labels, channels=channels, **kwargs)


def query_batch(labels_per_image, seed=2):
    samples = [
        query_sample([[8 + 4 * k, 8, 40 + 4 * k, 44]
                      for k in range(len(labels))],
                     labels,
                     img_id=i) for i, labels in enumerate(labels_per_image)
    ]
    return dict(inputs=images(len(samples), seed=seed), data_samples=samples)


# ---------------------------------------------------- data preprocessor
def test_preprocessor_normalises_support_with_its_own_mean_and_std():
    preprocessor = MODELS.build(
        dict(
            type='QuerySupportDataPreprocessor',
            mean=[10., 20., 30.],
            std=[2., 2., 2.],
            bgr_to_rgb=True,
            pad_size_divisor=32,
            support=dict(mean=[10., 20., 30., 0.], std=[2., 2., 2., 255.])))
    support = support_batch([0, 1])
    query = query_batch([[0], [1]])
    query['inputs'][1] = query['inputs'][1][:, :40, :50]
    out = preprocessor(
        dict(query_data=query, support_data=copy.deepcopy(support)), True)
    # support: channels 0-2 swapped (BGR -> RGB) and normalised, mask 0/1,
    # fixed-size crops stacked without padding
    raw = support['inputs'][0].float()
    expected = torch.stack([(raw[2] - 10) / 2, (raw[1] - 20) / 2,
                            (raw[0] - 30) / 2, raw[3] / 255])
    assert out['support_inputs'].shape == (2, 4, 32, 32)
    assert torch.allclose(out['support_inputs'][0], expected)
    assert set(out['support_inputs'][:, 3].unique().tolist()) == {0., 1.}
    assert out['support_data_samples'][0].batch_input_shape == (32, 32)
    # query: mmdet's DetDataPreprocessor (padded to 32)
    assert out['inputs'].shape == (2, 3, 64, 64)
    assert out['data_samples'][1].pad_shape == (64, 64)
    # a model-init batch goes the support way, a test batch the query way
    init = preprocessor(dict(support_data=copy.deepcopy(support)), False)
    assert torch.equal(init['inputs'], out['support_inputs'])
    test = preprocessor(query_batch([[0]]), False)
    assert test['inputs'].shape == (1, 3, 64, 64)


def test_preprocessor_refuses_mean_std_of_the_wrong_length():
    preprocessor = MODELS.build(
        dict(
            type='QuerySupportDataPreprocessor',
            mean=[0., 0., 0.],
            std=[1., 1., 1.]))
    with pytest.raises(ConfigError, match='3 mean/std values for 4-channel'):
        preprocessor(dict(support_data=support_batch([0])), False)
    with pytest.raises(ConfigError, match='unknown keys'):
        MODELS.build(
            dict(
                type='QuerySupportDataPreprocessor',
                mean=[0.],
                std=[1.],
                support=dict(size=3)))


# ------------------------------------------------------------ aggregators
def test_aggregators_against_their_formulas():
    torch.manual_seed(0)
    query = torch.randn(5, 8, 6, 7)
    kernel = torch.randn(1, 8, 3, 3)
    depthwise = MODELS.build(
        dict(type='DepthWiseCorrelationAggregator', in_channels=8))
    # one support for all queries: a depth-wise convolution
    reference = torch.stack([
        torch.stack([
            F.conv2d(query[n:n + 1, c:c + 1], kernel[:, c:c + 1])[0, 0]
            for c in range(8)
        ]) for n in range(5)
    ])
    assert torch.allclose(depthwise(query, kernel), reference, atol=1e-5)
    # one support per query: each pair on its own
    kernels = torch.randn(5, 8, 3, 3)
    pairwise = depthwise(query, kernels)
    for n in range(5):
        assert torch.allclose(
            pairwise[n],
            depthwise(query[n:n + 1], kernels[n:n + 1])[0],
            atol=1e-5)
    # on 1 x 1 features the correlation is the product
    q, s = torch.randn(5, 8, 1, 1), torch.randn(1, 8, 1, 1)
    assert torch.allclose(depthwise(q, s), q * s)
    assert torch.equal(
        MODELS.build(dict(type='DotProductAggregator'))(q, s), q * s)
    assert torch.equal(
        MODELS.build(dict(type='DifferenceAggregator'))(q, s), q - s)
    layer = MODELS.build(
        dict(
            type='AggregationLayer',
            aggregator_cfgs=[
                dict(
                    type='DifferenceAggregator',
                    in_channels=8,
                    out_channels=4,
                    with_fc=True)
            ]))
    layer.eval()
    out = layer(q, s)
    fc = layer.aggregator_list[0]
    assert len(out) == 1 and out[0].shape == (5, 4)
    assert torch.allclose(
        out[0], F.relu(fc.norm(fc.fc((q - s).flatten(1)))), atol=1e-6)
    with pytest.raises(ValueError, match='3 support features for 5'):
        depthwise(query, torch.randn(3, 8, 1, 1))


def test_meta_classification_loss_is_normalised_twice():
    head = MODELS.build(
        dict(
            type='MetaBBoxHead',
            num_meta_classes=4,
            meta_cls_in_channels=6,
            with_avg_pool=False,
            in_channels=6,
            roi_feat_size=1,
            num_classes=4))
    scores = torch.randn(3, 4)
    labels = torch.tensor([0, 3, 1])
    losses = head.loss_meta(scores, labels)
    expected = F.cross_entropy(scores, labels) / 3
    assert torch.allclose(losses['loss_meta_cls'], expected)
    assert losses['meta_acc'].item() == pytest.approx(
        100 * (scores.argmax(1) == labels).float().mean().item())
    head.meta_cls_loss_weight = 0.5
    assert torch.allclose(
        head.loss_meta(scores, labels)['loss_meta_cls'],
        F.cross_entropy(scores, labels) * 0.5)


# ------------------------------------------------------ support cache
def _model_init_in_batches(model, labels, batch_sizes):
    support = model.data_preprocessor(
        dict(support_data=support_for(model, labels)), False)
    model.reset_model_init()
    start = 0
    with torch.no_grad():
        for size in batch_sizes:
            model(
                support['inputs'][start:start + size],
                support['data_samples'][start:start + size],
                mode='model_init')
            start += size
    model.model_init()
    return support


@pytest.mark.parametrize('path', [META_RCNN, FSDETVIEW, ARPN])
def test_cached_feature_is_the_mean_of_the_class_support_features(path):
    model = build(path)
    model.eval()
    labels = [2, 0, 2, 5, 2, 0]
    support = _model_init_in_batches(model, labels, [4, 2])
    with torch.no_grad():
        feats = model.extract_support_instance_feats(support['inputs'],
                                                     support['data_samples'])
    labels = torch.tensor(labels)
    assert sorted(model.support_cache) == [0, 2, 5]
    for label in (0, 2, 5):
        for name, value in feats.items():
            assert torch.allclose(
                model.support_cache[label][name],
                value[labels == label].mean(0),
                atol=1e-6)


def test_predicting_without_support_cache_is_an_error():
    model = build(META_RCNN)
    model.eval()
    batch = model.data_preprocessor(query_batch([[0]]), False)
    with pytest.raises(RuntimeError, match='no support features'):
        model(**batch, mode='predict')
    with pytest.raises(RuntimeError, match='no support features were'):
        model.model_init()
    # a cache made before training resumes is dropped
    _model_init_in_batches(model, [0, 1], [2])
    assert model.support_cache
    model.train()
    assert not model.support_cache
    with pytest.raises(DataError, match='exactly one instance'):
        support = support_batch([0])
        support['data_samples'][0].gt_instances = InstanceData(
            bboxes=torch.zeros(2, 4), labels=torch.zeros(2, dtype=torch.long))
        data = model.data_preprocessor(dict(support_data=support), False)
        model(**data, mode='model_init')


@pytest.mark.parametrize('path', [META_RCNN, FSDETVIEW, ARPN])
def test_predictions_per_cached_class_in_original_coordinates(path):
    model = build(path, **{'test_cfg.rcnn.score_thr': 0.0})
    model.eval()
    _model_init_in_batches(model, [1, 4, 4], [3])
    # two query images of 64 x 64 input pixels, originally twice as large
    batch = query_batch([[1], [4, 1]])
    for sample in batch['data_samples']:
        sample.set_metainfo(
            dict(scale_factor=(0.5, 0.5), ori_shape=(128, 128)))
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert len(results) == 2
    for result in results:
        pred = result.pred_instances
        assert len(pred) > 0
        assert set(pred.labels.tolist()) <= {1, 4}
        assert pred.bboxes.min() >= 0 and pred.bboxes.max() <= 128
        assert (pred.scores >= 0).all() and (pred.scores <= 1).all()
    # the boxes of the first image are those of a batch of one, doubled
    single = model.data_preprocessor(
        dict(
            inputs=batch['inputs'][:1],
            data_samples=[copy.deepcopy(batch['data_samples'][0])]), False)
    with torch.no_grad():
        alone = model(**single, mode='predict')[0].pred_instances
    assert torch.allclose(
        alone.bboxes, results[0].pred_instances.bboxes, atol=1e-3)


def test_each_class_score_comes_from_its_own_support_vector():
    model = build(META_RCNN)
    model.eval()
    head = model.roi_head
    torch.manual_seed(3)
    rois = torch.rand(7, 128)
    vectors = {0: torch.rand(128), 3: torch.rand(128)}
    with torch.no_grad():
        cls_score, bbox_pred = head.class_scores(rois, vectors)
        single = {
            label: head._bbox_forward(rois, vector[None])
            for label, vector in vectors.items()
        }
    assert cls_score.shape == (7, 7) and bbox_pred.shape == (7, 24)
    for label, out in single.items():
        assert torch.allclose(
            cls_score[:, label], out['cls_score'][:, label], atol=1e-5)
        assert torch.allclose(
            bbox_pred[:, 4 * label:4 * label + 4],
            out['bbox_pred'][:, 4 * label:4 * label + 4],
            atol=1e-5)
    background = (single[0]['cls_score'][:, -1] +
                  single[3]['cls_score'][:, -1]) / 2
    assert torch.allclose(cls_score[:, -1], background, atol=1e-5)
    assert torch.isinf(cls_score[:, [1, 2, 4, 5]]).all()
    assert (bbox_pred[:, 4:12] == 0).all()


# --------------------------------------------------------------- losses
def _train_batch(model, query_labels, support_labels):
    return model.data_preprocessor(
        dict(
            query_data=query_batch(query_labels),
            support_data=support_batch(support_labels)), True)


def test_loss_is_finite_and_a_query_without_support_adds_zero_box_loss():
    model = build(META_RCNN)
    model.train()
    losses = model(
        **_train_batch(model, [[0], [1, 1]], [0, 1, 2]), mode='loss')
    assert {
        'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'acc',
        'loss_meta_cls', 'meta_acc'
    } <= set(losses)
    assert all(
        torch.isfinite(torch.as_tensor(v)).all() for value in losses.values()
        for v in (value if isinstance(value, list) else [value]))
    # no query class among the supports: the original crashed
    losses = model(**_train_batch(model, [[4], [5]], [0, 1]), mode='loss')
    assert losses['loss_cls'].item() == 0 and losses['loss_bbox'].item() == 0
    assert 'acc' not in losses
    (losses['loss_cls'] + losses['loss_bbox']).backward()
    fc_cls = model.roi_head.bbox_head.fc_cls.weight
    assert fc_cls.grad is not None and (fc_cls.grad == 0).all()
    with pytest.raises(ValueError, match='query images only'):
        model(**model.data_preprocessor(query_batch([[0]]), True), mode='loss')


def test_frozen_parameters_keep_their_values_while_the_head_trains():
    model = build(META_RCNN_FT)
    cfg = Config.fromfile(str(META_RCNN_FT))
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    model.train()
    for _ in range(2):
        model.train_step(
            dict(
                query_data=query_batch([[0], [6]]),
                support_data=support_batch([0, 6, 7])), optim_wrapper)
    frozen = ('backbone.', 'rpn_head.', 'roi_head.shared_head.')
    changed = {
        k
        for k, v in model.named_parameters() if not torch.equal(v, before[k])
    }
    assert changed
    assert all(k.startswith('roi_head.bbox_head.') for k in changed)
    assert not any(
        k.startswith(frozen)
        for k, v in model.named_parameters() if v.requires_grad)
    # frozen BN statistics stay (the toy backbone trains its BN in base)
    assert model.backbone.norm1.training is False


@pytest.mark.parametrize('path', [META_RCNN, FSDETVIEW, ARPN])
def test_loss_decreases_on_a_fixed_batch(path):
    # Attention-RPN: 2 ways x 1 shot per query image, way 0 its class
    attention_rpn = path == ARPN
    model = build(path, **(ONE_SHOT if attention_rpn else {}))
    cfg = Config.fromfile(str(path))
    optim_wrapper = build_optim_wrapper(
        model,
        dict(
            cfg.optim_wrapper,
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    batch = dict(
        query_data=query_batch([[0, 0], [2]]),
        support_data=support_for(model,
                                 [0, 1, 2, 3] if attention_rpn else [0, 1, 2]))
    torch.manual_seed(0)
    model.train()
    totals = []
    for _ in range(12):
        losses = model.train_step(copy.deepcopy(batch), optim_wrapper)
        totals.append(losses['loss'].item())
    assert all(map(lambda v: v == v, totals))
    assert sum(totals[-3:]) < sum(totals[:3])


# ------------------------------------------------ model-init data source
def test_model_init_loader_is_undistributed_and_copies_training(tmp_path):
    data = ModelInitData(
        'val_cfg',
        dict(
            batch_size=2,
            copy_from_train=True,
            dataset=dict(type='FewShotVOCDataset', ann_cfg=None, pipeline=[])),
        'mmfewshot_det')

    class NoTraining:
        _train_loop = None

    with pytest.raises(ConfigError, match='copy_from_train=True'):
        data.build_dataloader(NoTraining())
    items = [
        dict(
            img_path=f'{i}.jpg',
            img_id=str(i),
            height=8,
            width=8,
            instances=[
                dict(bbox=[0., 0., 4., 4.], bbox_label=i % 2, ignore_flag=0)
            ]) for i in range(5)
    ]
    data.support_set = dict(classes=['a', 'b'], data_list=items)
    loader = data.build_dataloader(NoTraining())
    # every process reads every support instance, in order
    assert isinstance(loader.sampler, torch.utils.data.SequentialSampler)
    assert loader.dataset.metainfo['classes'] == ('a', 'b')
    assert [d['img_path'] for d in loader.dataset.get_data_list()] == \
        [f'{i}.jpg' for i in range(5)]
    with pytest.raises(ConfigError, match='unknown keys'):
        ModelInitData('test_cfg', dict(dataset=dict(), sampler=None), 'x')


# -------------------------------------------------------------- FSDetView
def test_fsdetview_head_reads_product_difference_and_query():
    model = build(FSDETVIEW)
    model.eval()
    head = model.roi_head
    torch.manual_seed(4)
    query, support = torch.rand(6, 128), torch.rand(1, 128)
    product, difference = head.aggregation_layer.aggregator_list

    def block(aggregator, feat):
        return F.relu(aggregator.norm(aggregator.fc(feat)))

    joint = torch.cat([
        block(product, query * support),
        block(difference, query - support), query
    ], 1)
    assert joint.shape == (6, 256)
    expected = head.bbox_head(joint)
    with torch.no_grad():
        out = head._bbox_forward(query, support)
    assert torch.allclose(out['cls_score'], expected[0], atol=1e-5)
    assert torch.allclose(out['bbox_pred'], expected[1], atol=1e-5)


@pytest.mark.parametrize('freeze_norm_stats', [False, True])
def test_fsdetview_fine_tuning_keeps_frozen_aggregator_weights(
        freeze_norm_stats):
    model = build(FSDETVIEW_FT, freeze_norm_stats=freeze_norm_stats)
    cfg = Config.fromfile(str(FSDETVIEW_FT))
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    norm = model.roi_head.aggregation_layer.aggregator_list[0].norm
    weight, mean = norm.weight.detach().clone(), norm.running_mean.clone()
    model.train()
    model.train_step(
        dict(
            query_data=query_batch([[0], [6]]),
            support_data=support_batch([0, 6, 7])), optim_wrapper)
    assert not norm.weight.requires_grad
    assert torch.equal(norm.weight, weight)
    # False is the original toolbox's: frozen, but the statistics move
    assert torch.equal(norm.running_mean, mean) == freeze_norm_stats


# ---------------------------------------------------------- Attention-RPN
def test_attention_rpn_negative_pairs_have_background_anchors_only():
    model = build(ARPN, **ONE_SHOT)
    model.train()
    head = model.rpn_head
    batch = model.data_preprocessor(
        dict(
            query_data=query_batch([[0], [1]]),
            support_data=support_for(model, [0, 3, 1, 2])), True)
    feats = model.extract_feat(batch['inputs'])
    sizes = [f.shape[-2:] for f in feats]
    metas = [s.metainfo for s in batch['data_samples']]
    anchors, valid = head.get_anchors(sizes, metas + metas, device='cpu')
    gts = [s.gt_instances for s in batch['data_samples']]
    for gt in gts:
        gt.labels = torch.zeros_like(gt.labels)
    torch.manual_seed(0)
    plain = head.get_targets(anchors, valid, gts + gts, metas + metas)
    torch.manual_seed(0)
    paired = head.get_targets(
        anchors, valid, gts + gts,
        metas + [dict(m, negative_pair=True) for m in metas])
    for level in range(len(sizes)):
        # positive pairs keep mmdet's targets
        assert torch.equal(paired[0][level][:2], plain[0][level][:2])
        assert (plain[0][level][2:] == 0).any()
        # negative pairs: every anchor background, no box target
        assert (paired[0][level][2:] == head.num_classes).all()
        assert (paired[3][level][2:] == 0).all()
        assert torch.equal(paired[1][level], plain[1][level])
    # sampled anchors: the normaliser stays the number of sampled anchors
    assert paired[4] == plain[4]


def test_attention_rpn_proposals_of_all_classes_in_one_pass():
    model = build(ARPN)
    model.eval()
    batch = model.data_preprocessor(query_batch([[0], [1]]), False)
    torch.manual_seed(5)
    kernels = torch.rand(3, 64, 1, 1)
    with torch.no_grad():
        feats = model.extract_feat(batch['inputs'])
        together = model.rpn_head.predict_with_support(feats, kernels,
                                                       batch['data_samples'])
        assert len(together) == 2 * 3
        for k in range(3):
            alone = model.rpn_head.predict_with_support(
                feats, kernels[k:k + 1], batch['data_samples'])
            for image in range(2):
                assert torch.allclose(
                    together[image * 3 + k].bboxes,
                    alone[image].bboxes,
                    atol=1e-4)


def test_relation_loss_picks_foreground_and_hardest_background():
    model = build(ARPN)
    head = model.roi_head.bbox_head
    torch.manual_seed(6)
    # 16 RoIs: 8 of the positive pair (2 foreground), 8 of a negative pair
    labels = torch.ones(16, dtype=torch.long)
    labels[[1, 5]] = 0
    cls_score = torch.randn(16, 2)
    bbox_pred = torch.randn(16, 4)
    bbox_targets = torch.randn(16, 4)
    bbox_weights = torch.zeros(16, 4)
    bbox_weights[[1, 5]] = 1
    losses = head.loss(
        cls_score,
        bbox_pred,
        torch.zeros(16, 5),
        labels,
        torch.ones(16),
        bbox_targets,
        bbox_weights,
        num_pos_pair_samples=8)
    # positive-pair background: min(2 * 2, 16 // 4) = 4 hardest (highest
    # foreground score); negative pair: min(2 * 1, 4) = 2 hardest
    pos_bg = [i for i in range(8) if i not in (1, 5)]
    neg_bg = list(range(8, 16))

    def hardest(indices, num):
        return sorted(indices, key=lambda i: -cls_score[i, 0].item())[:num]

    chosen = [1, 5] + hardest(pos_bg, 4) + hardest(neg_bg, 2)
    expected = F.cross_entropy(cls_score[chosen], labels[chosen])
    assert torch.allclose(losses['loss_cls'], expected, atol=1e-6)
    expected_bbox = (bbox_pred[[1, 5]] - bbox_targets[[1, 5]]).abs().sum() / 16
    assert torch.allclose(losses['loss_bbox'], expected_bbox, atol=1e-6)


def test_attention_rpn_loss_finite_and_fine_tuning_trains_the_head_only():
    model = build(ARPN_FT)
    cfg = Config.fromfile(str(ARPN_FT))
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    model.train()
    for _ in range(2):
        losses = model.train_step(
            dict(
                query_data=query_batch([[0], [6]]),
                support_data=support_for(model, [0, 3, 6, 1])), optim_wrapper)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'acc'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    changed = {
        k
        for k, v in model.named_parameters() if not torch.equal(v, before[k])
    }
    assert changed
    assert all(k.startswith('roi_head.bbox_head.') for k in changed)
    with pytest.raises(ValueError, match='2 ways x 1 shots'):
        model.train_step(
            dict(
                query_data=query_batch([[0], [6]]),
                support_data=support_for(model, [0, 3, 6])), optim_wrapper)
