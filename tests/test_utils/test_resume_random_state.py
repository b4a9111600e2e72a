"""A run killed after a checkpoint and resumed ends with the weights of the
run that was not interrupted, also when the model draws random numbers
(dropout in the backbone, proposal sampling in the detection heads)."""
import copy
import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from PIL import Image

from mmfewshot.detection.apis import build_train_dataloader
from mmfewshot.utils import build_runner, load_config
from mmfewshot.utils.random_state import (get_random_state,
                                          preserved_random_state,
                                          set_random_state)
from mmfewshot.utils.runner import ValidationRandomStateHook

ROOT = Path(__file__).resolve().parents[2]
TOY_DETECTION = str(
    ROOT / 'configs/detection/tfa/toy/tfa_tiny-r18_fpn_toy_base-training.py')


class Killed(Exception):
    """Stands for the kill of a run."""


@HOOKS.register_module(force=True)
class KillBefore(Hook):
    """Stops training before iteration ``iteration`` (0-based) starts."""

    def __init__(self, iteration):
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.iteration:
            raise Killed


def train(cfg, work_dir, name, resume=False, kill_before=None):
    """Train ``cfg`` in ``work_dir``; returns the final weights."""
    # unformatted config text in logs and checkpoints: yapf would take
    # longer than the training
    cfg = Config(copy.deepcopy(cfg.to_dict()), format_python_code=False)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = name
    cfg.resume = resume
    if kill_before is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='KillBefore', iteration=kill_before)
        ]
    if cfg.default_scope == 'mmfewshot_det':
        build_train_dataloader(cfg)
    runner = build_runner(cfg)
    if kill_before is None:
        runner.train()
    else:
        with pytest.raises(Killed):
            runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def assert_same_weights(resumed, whole):
    assert resumed.keys() == whole.keys()
    differing = [k for k in whole if not torch.equal(resumed[k], whole[k])]
    assert not differing, f'{len(differing)} tensors differ: {differing[:3]}'


def check_kill_and_resume(cfg, tmp_path, checkpoint_at, kill_before):
    whole = train(cfg, tmp_path / 'whole', 'whole')
    interrupted = tmp_path / 'interrupted'
    train(cfg, interrupted, 'killed', kill_before=kill_before)
    assert (interrupted / f'iter_{checkpoint_at}.pth').exists()
    resumed = train(cfg, interrupted, 'resumed', resume=True)
    assert_same_weights(resumed, whole)


@pytest.fixture(scope='module')
def image_folder(tmp_path_factory):
    """4 classes of 3 random 16x16 images, a folder per class."""
    root = tmp_path_factory.mktemp('classes')
    generator = np.random.default_rng(0)
    for class_id in range(4):
        (root / f'class{class_id}').mkdir()
        for index in range(3):
            pixels = generator.integers(0, 255, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / f'class{class_id}' /
                                         f'{index}.png')
    return root


def test_classification_resume_equals_the_uninterrupted_run(
        image_folder, tmp_path):
    # ProtoNet on a small wide ResNet with dropout in every block
    cfg = Config(
        dict(
            default_scope='mmfewshot_cls',
            model=dict(
                type='ProtoNet',
                backbone=dict(
                    type='WideResNet',
                    depth=10,
                    widen_factor=1,
                    base_channels=4,
                    drop_rate=0.5),
                head=dict(type='PrototypeHead'),
                data_preprocessor=dict(
                    type='FewShotClsDataPreprocessor',
                    mean=[127.5] * 3,
                    std=[127.5] * 3)),
            train_dataloader=dict(
                batch_size=1,
                num_workers=0,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                collate_fn=dict(type='multi_pipeline_collate_fn'),
                dataset=dict(
                    type='EpisodicDataset',
                    num_episodes=20,
                    num_ways=2,
                    num_shots=1,
                    num_queries=2,
                    episodes_seed=0,
                    dataset=dict(
                        type='BaseFewShotDataset',
                        data_prefix=str(image_folder),
                        pipeline=[
                            dict(type='LoadImageFromFile'),
                            dict(type='RandomFlip', prob=0.5),
                            dict(type='PackInputs')
                        ]))),
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
            optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
            default_hooks=dict(
                checkpoint=dict(
                    type='CheckpointHook', interval=1, by_epoch=False),
                logger=dict(type='LoggerHook', interval=1)),
            log_processor=dict(by_epoch=False),
            randomness=dict(seed=0)))
    check_kill_and_resume(cfg, tmp_path, checkpoint_at=1, kill_before=1)


@pytest.fixture(scope='module')
def toy_detection_cwd(tmp_path_factory):
    cwd = tmp_path_factory.mktemp('toy_det_resume')
    spec = importlib.util.spec_from_file_location(
        'make_toy_dataset', ROOT / 'tools/data/detection/make_toy_dataset.py')
    make_toy_dataset = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_toy_dataset)
    make_toy_dataset.main([
        str(cwd / 'data/toy_det'), '--num-trainval', '16', '--num-test', '1',
        '--size', '64', '--shots', '1', '--split-seeds', '0'
    ])
    return cwd


def test_detection_resume_equals_the_uninterrupted_run(toy_detection_cwd,
                                                       tmp_path, monkeypatch):
    # Faster R-CNN samples anchors and proposals at random (mmdet's
    # RandomSampler draws from torch's global generator)
    cfg = load_config(TOY_DETECTION)
    monkeypatch.chdir(toy_detection_cwd)
    cfg.train_dataloader.update(
        batch_size=1, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.pipeline[2].scales = [(48, 48), (64, 64)]
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint.interval = 1
    cfg.randomness = dict(seed=0)
    check_kill_and_resume(cfg, tmp_path, checkpoint_at=1, kill_before=1)


def test_random_state_round_trip_and_validation_hook():
    state = get_random_state()
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    set_random_state(state)
    assert (random.random(), np.random.rand(),
            torch.rand(1).item()) == expected
    # what a validation draws leaves training's draws as they were
    set_random_state(state)
    hook = ValidationRandomStateHook()
    hook.before_val(None)
    torch.rand(5), np.random.rand(5), random.random()
    hook.after_val(None)
    assert (random.random(), np.random.rand(),
            torch.rand(1).item()) == expected
    set_random_state(state)
    with preserved_random_state():
        torch.rand(3)
    assert torch.rand(1).item() == expected[2]
