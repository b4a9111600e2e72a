import logging
import shutil
import subprocess
import sys

import mmengine.runner.runner as mmengine_runner_module
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import HOOKS, DefaultScope
from mmengine.runner import Runner
from PIL import Image
from torch.utils.data import Dataset

import mmfewshot.classification.models  # noqa: F401  (registers models)
from mmfewshot.classification.datasets import EpisodicDataset
from mmfewshot.classification.registry import DATASETS as CLS_DATASETS
from mmfewshot.utils import CheckpointError, FewShotRunner
from mmfewshot.utils import build_runner as build_tool_runner
from mmfewshot.utils import checkpoint_problem


class ToyDataset(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, index):
        generator = torch.Generator().manual_seed(index)
        return dict(
            inputs=torch.randn(4, generator=generator),
            label=torch.tensor(index % 2))


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, inputs, label, mode='loss'):
        logits = self.linear(torch.stack(inputs))
        return dict(
            loss=nn.functional.cross_entropy(logits, torch.stack(label)))


def build_runner(work_dir, max_epochs, resume=False):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'resume-{max_epochs}-{resume}',
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
            batch_size=4,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmfewshot_cls')


def test_resume_continues_from_saved_epoch_with_optimizer_state(tmp_path):
    first = build_runner(tmp_path, max_epochs=2)
    first.train()
    saved = torch.load(tmp_path / 'epoch_2.pth', weights_only=True)
    momentum = saved['optimizer']['state'][0]['momentum_buffer']
    assert saved['meta']['epoch'] == 2

    second = build_runner(tmp_path, max_epochs=3, resume=True)
    resumed_epochs = []

    def record_resume():
        resumed_epochs.append(second.train_loop.epoch)
        buffer = second.optim_wrapper.optimizer.state_dict(
        )['state'][0]['momentum_buffer']
        assert torch.equal(buffer, momentum)

    original_load = second.load_or_resume

    def load_and_check():
        original_load()
        record_resume()

    second.load_or_resume = load_and_check
    second.train()
    assert resumed_epochs == [2]
    assert second.train_loop.epoch == 3
    assert second.train_loop.iter == 6  # 2 iterations per epoch
    assert (tmp_path / 'epoch_3.pth').exists()


# ------------------------------------------------------------------------
# iteration-based resume: fast-forward, honest choice, atomic saves
# ------------------------------------------------------------------------
class AugmentedDataset(Dataset):
    """10 samples whose loading draws random noise (an augmentation) and is
    counted."""

    loaded = []

    def __len__(self):
        return 10

    def __getitem__(self, index):
        type(self).loaded.append(index)
        generator = torch.Generator().manual_seed(index)
        return dict(
            inputs=torch.randn(4, generator=generator) + torch.rand(4),
            label=torch.tensor(index % 2))


class BatchRecorder(Hook):
    """Records every training batch and how many samples were loaded
    before the first one."""

    def __init__(self):
        self.batches = {}
        self.loaded_before_first = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.loaded_before_first is None:
            self.loaded_before_first = len(AugmentedDataset.loaded)
        self.batches[batch_idx] = torch.stack(data_batch['inputs'])


def iteration_runner(work_dir,
                     resume=False,
                     load_from=None,
                     workers=0,
                     max_iters=8):
    runner = FewShotRunner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'iter-{resume}-{load_from is not None}-{workers}',
        train_dataloader=dict(
            dataset=AugmentedDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
            batch_size=4,
            num_workers=workers,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook',
                interval=2,
                by_epoch=False,
                max_keep_ckpts=-1),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[BatchRecorder()],
        randomness=dict(seed=0),
        resume=resume,
        load_from=load_from,
        default_scope='mmfewshot_cls')
    AugmentedDataset.loaded = []
    return runner


def recorder(runner):
    return next(
        hook for hook in runner.hooks if isinstance(hook, BatchRecorder))


def losses(runner):
    return runner.message_hub.get_scalar('train/loss')._log_history.tolist()


class LogRecords(logging.Handler):

    def __init__(self, runner):
        super().__init__(logging.INFO)
        self.messages = []
        runner.logger.addHandler(self)

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory):
    """8 iterations (2.7 passes over the data), checkpoints every 2."""
    work_dir = tmp_path_factory.mktemp('uninterrupted')
    scopes = set(DefaultScope._instance_dict)
    runner = iteration_runner(work_dir)
    runner.train()
    # a module fixture is outside the suite's per-test scope isolation
    for name in set(DefaultScope._instance_dict) - scopes:
        DefaultScope._instance_dict.pop(name)
    return dict(
        work_dir=work_dir,
        batches=recorder(runner).batches,
        losses=losses(runner))


def resume_from(uninterrupted, tmp_path, iteration, workers=0):
    """A run resumed from ``iter_<iteration>.pth`` of the uninterrupted
    run, trained to its end."""
    name = f'iter_{iteration}.pth'
    shutil.copy(uninterrupted['work_dir'] / name, tmp_path / name)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / name))
    runner = iteration_runner(tmp_path, resume=True, workers=workers)
    log = LogRecords(runner)
    runner.train()
    return runner, log.messages


@pytest.mark.parametrize('iteration, workers', [(2, 0), (4, 0), (6, 0),
                                                (4, 1)])
def test_resume_loads_one_batch_and_continues_the_stream(
        uninterrupted, tmp_path, iteration, workers):
    runner, messages = resume_from(uninterrupted, tmp_path, iteration, workers)
    record = recorder(runner)
    # one batch (4 samples, 2 at the end of a pass) is loaded before the
    # first new step, whatever the iteration (mmengine's loop loads every
    # batch before it)
    if workers == 0:
        assert record.loaded_before_first == len(
            uninterrupted['batches'][iteration])
    assert sorted(record.batches) == list(range(iteration, 8))
    for index, batch in record.batches.items():
        torch.testing.assert_close(
            batch, uninterrupted['batches'][index], rtol=0, atol=0)
    assert losses(runner) == pytest.approx(uninterrupted['losses'], rel=1e-6)
    assert f'resumed from {tmp_path}/iter_{iteration}.pth at iteration ' \
        f'{iteration}' in '\n'.join(messages)


def dead_pid():
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, '-c', 'pass'])
    process.wait()
    return process.pid


def test_resume_skips_a_damaged_newest_checkpoint(uninterrupted, tmp_path):
    for name in ('iter_2.pth', 'iter_4.pth', 'iter_6.pth'):
        shutil.copy(uninterrupted['work_dir'] / name, tmp_path / name)
    (tmp_path / 'iter_6.pth').write_bytes(b'')  # killed while re-saving
    data = (tmp_path / 'iter_4.pth').read_bytes()
    (tmp_path / 'iter_4.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_6.pth'))
    leftover = tmp_path / f'.iter_8.pth.{dead_pid()}.0123abcd.tmp'
    leftover.write_bytes(b'partial')
    runner = iteration_runner(tmp_path, resume=True)
    assert not leftover.exists()  # removed when the runner started
    log = LogRecords(runner)
    runner.train()
    text = '\n'.join(log.messages)
    assert f'not resuming from {tmp_path}/iter_6.pth: it is empty (0 ' \
        'bytes)' in text
    assert f'not resuming from {tmp_path}/iter_4.pth: it is truncated or ' \
        'damaged' in text
    assert f'resumed from {tmp_path}/iter_2.pth at iteration 2' in text
    assert sorted(recorder(runner).batches) == list(range(2, 8))
    assert losses(runner) == pytest.approx(uninterrupted['losses'], rel=1e-6)


def test_resume_with_nothing_to_resume_says_so(tmp_path):
    runner = iteration_runner(tmp_path, resume=True, max_iters=2)
    log = LogRecords(runner)
    runner.train()
    text = '\n'.join(log.messages)
    assert f'no intact checkpoint in {tmp_path} to resume from; training ' \
        'starts at the beginning' in text
    assert 'resumed' not in text.replace('not resuming', '')
    assert sorted(recorder(runner).batches) == [0, 1]


def test_resume_from_a_damaged_given_checkpoint_is_an_error(tmp_path):
    damaged = tmp_path / 'given.pth'
    damaged.write_bytes(b'PK\x03\x04 not really')
    runner = iteration_runner(tmp_path, resume=True, load_from=str(damaged))
    with pytest.raises(
            CheckpointError,
            match=f'cannot resume: checkpoint {damaged} is '
            'truncated or damaged'):
        runner.train()


def test_a_kill_while_saving_leaves_the_previous_checkpoint(
        uninterrupted, tmp_path, monkeypatch):
    path = tmp_path / 'iter_2.pth'
    shutil.copy(uninterrupted['work_dir'] / 'iter_2.pth', path)
    before = path.read_bytes()
    runner = iteration_runner(tmp_path, load_from=str(path), max_iters=2)

    def killed_midway(checkpoint, filename, **kwargs):
        with open(filename, 'wb') as f:
            f.write(before[:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(mmengine_runner_module, 'save_checkpoint',
                        killed_midway)
    with pytest.raises(KeyboardInterrupt):
        runner.train()  # the hook re-saves iter_2.pth at the end
    assert path.read_bytes() == before
    assert checkpoint_problem(str(path)) is None
    # no partial file is left behind either
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.suffix in ('.pth', '.tmp')) == ['iter_2.pth']


# ------------------------------------------------- an episodic config
@CLS_DATASETS.register_module(force=True)
class CountingEpisodicDataset(EpisodicDataset):
    """Records which episodes are loaded."""

    loaded = []

    def __getitem__(self, idx):
        type(self).loaded.append(int(idx))
        return super().__getitem__(idx)


@HOOKS.register_module(force=True)
class EpisodeRecorder(Hook):
    """How many episodes were loaded before the first new step."""

    def __init__(self):
        self.loaded_before_first = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.loaded_before_first is None:
            self.loaded_before_first = len(CountingEpisodicDataset.loaded)


@pytest.fixture(scope='module')
def image_folder(tmp_path_factory):
    """6 classes of 3 random 16x16 images, a folder per class."""
    root = tmp_path_factory.mktemp('classes')
    generator = np.random.default_rng(0)
    for class_id in range(6):
        (root / f'class{class_id}').mkdir()
        for index in range(3):
            pixels = generator.integers(0, 255, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / f'class{class_id}' /
                                         f'{index}.png')
    return root


def episodic_runner(image_folder, work_dir, resume=False):
    cfg = Config(
        dict(
            default_scope='mmfewshot_cls',
            work_dir=str(work_dir),
            experiment_name=f'episodic-{resume}',
            model=dict(
                type='ProtoNet',
                backbone=dict(type='Conv4'),
                head=dict(type='PrototypeHead'),
                data_preprocessor=dict(
                    type='FewShotClsDataPreprocessor',
                    mean=[127.5] * 3,
                    std=[127.5] * 3)),
            train_dataloader=dict(
                batch_size=1,
                num_workers=0,
                sampler=dict(type='DistributedInfiniteSampler', shuffle=True),
                collate_fn=dict(type='multi_pipeline_collate_fn'),
                dataset=dict(
                    type='CountingEpisodicDataset',
                    num_episodes=40,
                    num_ways=3,
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
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=8),
            optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
            default_hooks=dict(
                checkpoint=dict(
                    type='CheckpointHook', interval=3, by_epoch=False),
                logger=dict(type='LoggerHook', interval=1)),
            custom_hooks=[dict(type='EpisodeRecorder')],
            log_processor=dict(by_epoch=False),
            randomness=dict(seed=0),
            resume=resume))
    CountingEpisodicDataset.loaded = []
    return build_tool_runner(cfg)


def test_episodic_resume_loads_one_episode_and_equals_the_whole_run(
        image_folder, tmp_path):
    whole = episodic_runner(image_folder, tmp_path / 'whole')
    whole.train()
    episodes = list(CountingEpisodicDataset.loaded)
    assert len(episodes) == 8
    for iteration in (3, 6):
        work_dir = tmp_path / f'resumed{iteration}'
        work_dir.mkdir()
        shutil.copy(tmp_path / 'whole' / f'iter_{iteration}.pth', work_dir)
        resumed = episodic_runner(image_folder, work_dir, resume=True)
        resumed.train()
        hook = next(h for h in resumed.hooks if isinstance(h, EpisodeRecorder))
        assert hook.loaded_before_first == 1
        assert CountingEpisodicDataset.loaded == episodes[iteration:]
        assert losses(resumed) == pytest.approx(losses(whole), rel=1e-5)
