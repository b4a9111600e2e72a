"""MPSR's configs hold the original toolbox's release settings (all of them
are also compared with the original's configs by
tests/test_reference_config_settings.py), their auxiliary pipelines fit
their models, and the training and test tools run the toy recipe (base
training, fine-tuning from its checkpoint, test)."""
import os
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger

ROOT = Path(__file__).resolve().parents[2]
MPSR = ROOT / 'configs/detection/mpsr'
SCALES = [32, 64, 128, 256, 512, 800]


def voc(split, setting):
    return Config.fromfile(
        str(MPSR / f'voc/split{split}/mpsr_r101_fpn_2xb2_voc-split{split}_'
            f'{setting}.py'))


def schedule(cfg):
    return [(s.type, s.get('start_factor'), s.get('end'), s.get('milestones'))
            for s in cfg.param_scheduler]


def test_model_is_the_original():
    cfg = voc(1, 'base-training')
    model = cfg.model
    assert model.type == 'MPSR'
    assert model.rpn_select_levels == [0, 1, 2, 3, 4, 4]
    assert model.roi_select_levels == [0, 0, 0, 1, 2, 3]
    assert model.rpn_select_borders == [0, 0, 0, 0, 0, 2]
    assert model.data_preprocessor.mean == [102.9801, 115.9465, 122.7717]
    assert model.data_preprocessor.std == [1., 1., 1.]
    assert not model.data_preprocessor.bgr_to_rgb
    assert model.backbone.depth == 101 and model.backbone.frozen_stages == 1
    assert model.rpn_head.mid_channels == 64
    assert model.rpn_head.loss_bbox == dict(
        type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)
    head = model.roi_head.bbox_head
    assert (head.num_cls_fcs, head.num_reg_fcs, head.roi_feat_size) == \
        (2, 2, 8)
    assert head.reg_class_agnostic and head.auxiliary_loss_weight == 0.1
    assert model.roi_head.bbox_roi_extractor.roi_layer.sampling_ratio == 2
    assert model.train_cfg.rpn.allowed_border == 0
    proposal = model.train_cfg.rpn_proposal
    assert proposal.max_per_batch == 2000 and proposal.max_per_img is None
    for nms in (proposal.nms, model.test_cfg.rpn.nms, model.test_cfg.rcnn.nms):
        assert nms.offset == 1


@pytest.mark.parametrize('split', [1, 2, 3])
def test_voc_schedules_and_freezing_are_the_originals(split):
    """The release's settings (the configs once followed a pre-release
    commit: a frozen backbone at split 1 2/3 shots and splits 2/3 1/2/3
    shots, aligned RoIAlign in fine-tuning, base training without the bias
    settings and with warm-up from 0.001 x lr)."""
    base = voc(split, 'base-training')
    assert base.optim_wrapper.optimizer.lr == 0.005
    assert base.optim_wrapper.paramwise_cfg.custom_keys == {
        '.bias': dict(lr_mult=2.0, decay_mult=0.0)
    }
    assert schedule(base) == [('LinearLR', 1. / 3, 500, None),
                              ('MultiStepLR', None, None, [24000, 32000])]
    assert base.train_cfg.max_iters == 36000
    main = base.train_dataloader.dataset.main_dataset
    assert main.classes == f'BASE_CLASSES_SPLIT{split}'
    assert not main.use_difficult
    assert not base.train_dataloader.dataset.reweight_dataset
    assert base.model.roi_head.bbox_head.num_classes == 15
    for shots in (1, 2, 3, 5, 10):
        cfg = voc(split, f'{shots}shot-fine-tuning')
        assert cfg.optim_wrapper.optimizer.lr == 0.005
        assert cfg.optim_wrapper.paramwise_cfg.custom_keys == {
            '.bias': dict(lr_mult=2.0, decay_mult=0.0)
        }
        assert schedule(cfg) == [('LinearLR', 1. / 3, 500, None),
                                 ('MultiStepLR', None, None, [1300])]
        assert cfg.train_cfg.max_iters == 2000
        assert cfg.train_cfg.val_interval == 500
        assert cfg.model.get('frozen_parameters') is None, (split, shots)
        assert cfg.model.roi_head.bbox_roi_extractor.roi_layer.aligned \
            is False
        dataset = cfg.train_dataloader.dataset
        # the release's split 1 2/3-shot configs do not reweight
        assert dataset.reweight_dataset == (split != 1 or shots not in (2, 3))
        main = dataset.main_dataset
        assert main.ann_cfg == [
            dict(method='MPSR', setting=f'SPLIT{split}_{shots}SHOT')
        ]
        assert main.num_novel_shots == main.num_base_shots == shots
        assert main.classes == f'ALL_CLASSES_SPLIT{split}'
        assert cfg.model.roi_head.bbox_head.init_cfg == [
            dict(
                type='Normal',
                override=dict(type='Normal', name='fc_cls', std=0.001))
        ]
        assert cfg.load_from == (
            f'work_dirs/mpsr_r101_fpn_2xb2_voc-split{split}_base-training/'
            'iter_36000.pth')
        assert cfg.reinit_on_load == ['roi_head.bbox_head.fc_cls']


def test_coco_schedules_are_the_originals():
    coco = MPSR / 'coco'
    base = Config.fromfile(
        str(coco / 'mpsr_r101_fpn_2xb2_coco_base-training.py'))
    assert schedule(base) == [('LinearLR', 1. / 3, 500, None),
                              ('MultiStepLR', None, None, [56000, 70000])]
    assert base.train_cfg.max_iters == 80000
    assert base.model.roi_head.bbox_head.num_classes == 60
    for shots in (10, 30):
        cfg = Config.fromfile(
            str(coco / f'mpsr_r101_fpn_2xb2_coco_{shots}shot-fine-tuning.py'))
        assert cfg.optim_wrapper.optimizer.lr == 0.005
        assert 'paramwise_cfg' not in cfg.optim_wrapper
        assert schedule(cfg) == [('LinearLR', 1. / 3, 500, None),
                                 ('MultiStepLR', None, None, [2800, 3500])]
        assert cfg.train_cfg.max_iters == 4000
        assert cfg.model.roi_head.bbox_head.num_classes == 80
        dataset = cfg.train_dataloader.dataset
        assert not dataset.reweight_dataset
        # both branches read the same K-shot set; small objects are not
        # cropped
        for key in ('main_dataset', 'auxiliary_dataset'):
            assert dataset[key].ann_cfg == [
                dict(method='MPSR', setting=f'{shots}SHOT')
            ]
            assert dataset[key].num_novel_shots == shots
        assert dataset.auxiliary_dataset.min_bbox_size == 8
        assert 'min_bbox_size' not in dataset.main_dataset
    assert base.train_dataloader.dataset.auxiliary_dataset.min_bbox_size == 8


def _auxiliary_pipelines(dataset):
    pipelines = [
        dataset.main_dataset.get('multi_pipelines', {}).get('auxiliary')
    ]
    if dataset.get('auxiliary_dataset'):
        pipelines.append(dataset.auxiliary_dataset.pipeline)
    return [p for p in pipelines if p]


@pytest.mark.parametrize(
    'path',
    sorted(p for p in MPSR.rglob('*.py') if p.parent != MPSR),
    ids=lambda p: p.name)
def test_every_scale_of_the_pipeline_has_its_fpn_levels(path):
    cfg = Config.fromfile(str(path))
    levels = len(cfg.model.rpn_select_levels)
    pipelines = _auxiliary_pipelines(cfg.train_dataloader.dataset)
    assert pipelines
    for pipeline in pipelines:
        steps = {step.type: step for step in pipeline}
        resize, crop = steps['ResizeToMultiScale'], steps[
            'MultiImageRandomCrop']
        assert len(resize.scales) == len(crop.crop_sizes) == levels
        # crops of s pixels from images resized to 8/7 s
        for (width, height), size in zip(resize.scales, crop.crop_sizes):
            assert width == height == pytest.approx(size[0] * 8 / 7)
        if 'toy' not in path.parts:
            assert [size[0] for size in crop.crop_sizes] == SCALES
        assert steps['CropSquareInstance'].context_ratio == \
            pytest.approx(1 / 7)


# --------------------------------------------------------------------------
# the tools on the toy recipe
# --------------------------------------------------------------------------
TOY = MPSR / 'toy'
QUICK = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'train_dataloader.auxiliary_dataloader.num_workers=0',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1'
]


def iterations(num):
    # no validation: the test tool evaluates the fine-tuned model
    return [
        f'train_cfg.max_iters={num}', f'train_cfg.val_interval={num}',
        'train_cfg.val_begin=1000000',
        f'default_hooks.checkpoint.interval={num}'
    ]


@pytest.fixture(scope='module')
def toy_runs(tmp_path_factory, load_script):
    """Toy data (40 + 8 images), base training (2 iterations) and 1-shot
    fine-tuning from its checkpoint (2 iterations) with the tools."""
    cwd = tmp_path_factory.mktemp('mpsr_tools')
    load_script('tools/data/detection/make_toy_dataset.py').main([
        str(cwd / 'data/toy_det'), '--num-trainval', '40', '--num-test', '8',
        '--size', '96', '--shots', '1', '--split-seeds', '0'
    ])
    train = load_script('tools/detection/train.py')
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        MMLogger._instance_dict.clear()
        base_dir = cwd / 'work_dirs/base'
        assert train.main([
            str(TOY / 'mpsr_tiny-r18_fpn_toy_base-training.py'), '--work-dir',
            str(base_dir), '--cfg-options'
        ] + QUICK + iterations(2)) is None
        MMLogger._instance_dict.clear()
        fine_dir = cwd / 'work_dirs/fine'
        assert train.main([
            str(TOY /
                'mpsr_tiny-r18_fpn_toy_1shot-fine-tuning.py'), '--work-dir',
            str(fine_dir), '--cfg-options',
            f'load_from={base_dir / "iter_2.pth"}'
        ] + QUICK + iterations(2)) is None
    finally:
        os.chdir(previous)
    return dict(cwd=cwd, base=base_dir / 'iter_2.pth', fine=fine_dir)


def test_tools_train_fine_tune_and_test(toy_runs, load_script, capsys,
                                        run_tool, monkeypatch):
    monkeypatch.chdir(toy_runs['cwd'])
    log = next(toy_runs['fine'].glob('*/*.log')).read_text()
    for key in ('loss_rpn_cls_auxiliary', 'loss_cls_auxiliary',
                'acc_auxiliary'):
        assert key in log
    # fc_cls starts anew (7 rows in the base model, 9 here), nothing else
    assert 'roi_head.bbox_head.fc_cls.weight' in log
    assert (toy_runs['fine'] / 'saved_dataset.json').is_file()
    status, out, _ = run_tool(
        load_script('tools/detection/test.py'), [
            str(TOY / 'mpsr_tiny-r18_fpn_toy_1shot-fine-tuning.py'),
            str(toy_runs['fine'] / 'iter_2.pth'), '--work-dir',
            str(toy_runs['fine']), '--cfg-options'
        ] + QUICK, capsys)
    assert status == 0
    table = out[out.index('AP by class split (%):'):]
    assert 'NOVEL_CLASSES' in table and 'BASE_CLASSES' in table


def test_fine_tuning_refuses_a_base_model_that_does_not_fit(
        toy_runs, load_script, capsys, run_tool, monkeypatch):
    """Without ``reinit_on_load`` the classifier of the base model (7 rows
    for 8 + 1 in the model) is an error naming it."""
    monkeypatch.chdir(toy_runs['cwd'])
    status, _, err = run_tool(
        load_script('tools/detection/train.py'), [
            str(TOY / 'mpsr_tiny-r18_fpn_toy_1shot-fine-tuning.py'),
            '--work-dir',
            str(toy_runs['cwd'] / 'work_dirs/refused'), '--cfg-options',
            f'load_from={toy_runs["base"]}', 'reinit_on_load=[]'
        ] + QUICK + iterations(1), capsys)
    assert status == 2
    assert 'roi_head.bbox_head.fc_cls.weight (7, 256) vs (9, 256)' in err
