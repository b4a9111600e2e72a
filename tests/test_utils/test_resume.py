import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmfewshot  # noqa: F401  (registers the checkpoint safe globals)


class ToyDataset(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, index):
        generator = torch.Generator().manual_seed(index)
        return dict(inputs=torch.randn(4, generator=generator),
                    label=torch.tensor(index % 2))


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, inputs, label, mode='loss'):
        logits = self.linear(torch.stack(inputs))
        return dict(loss=nn.functional.cross_entropy(logits, torch.stack(label)))


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
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
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
        buffer = second.optim_wrapper.optimizer.state_dict()['state'][0][
            'momentum_buffer']
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
