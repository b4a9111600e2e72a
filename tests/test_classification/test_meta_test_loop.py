import copy
import os
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmfewshot.classification.datasets import build_meta_test_dataloaders
from mmfewshot.classification.evaluation import mean_confidence_interval

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]
MODELS = {
    'ProtoNet':
    dict(type='ProtoNet', backbone=dict(type='Conv4')),
    'Baseline':
    dict(
        type='Baseline',
        backbone=dict(type='Conv4'),
        head=dict(type='LinearHead', num_classes=12, in_channels=256),
        meta_test_head=dict(type='LinearHead', num_classes=5,
                            in_channels=256)),
    # BatchNorm with the statistics of every batch, as the original MAML
    'MAML':
    dict(
        type='MAML',
        backbone=dict(type='Conv4'),
        head=dict(type='LinearHead', num_classes=5, in_channels=256),
        num_inner_steps_test=3,
        inner_lr=0.1),
}
# models that adapt the backbone answer tasks from images only
META_TEST_CFGS = {'MAML': dict(fast_test=False)}


def runner_cfg(data_prefix,
               work_dir,
               model='ProtoNet',
               num_episodes=12,
               meta_test_cfg=None,
               launcher='none'):
    meta_test_cfg = dict(meta_test_cfg or {})
    meta_test_cfg.setdefault(
        'support', dict(batch_size=3, train=dict(num_steps=20, batch_size=4)))
    return Config(
        dict(
            default_scope='mmfewshot_cls',
            work_dir=str(work_dir),
            model=dict(
                MODELS[model],
                data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3)),
            test_dataloader=dict(
                batch_size=7,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    type='MetaTestDataset',
                    num_episodes=num_episodes,
                    num_ways=5,
                    num_shots=2,
                    num_queries=4,
                    episodes_seed=3,
                    dataset=dict(
                        type='BaseFewShotDataset',
                        data_prefix=str(data_prefix),
                        pipeline=PIPELINE))),
            test_cfg=dict(type='MetaTestLoop', meta_test_cfg=meta_test_cfg),
            test_evaluator=dict(type='EpisodicAccuracy'),
            randomness=dict(seed=0),
            launcher=launcher,
            env_cfg=dict(dist_cfg=dict(backend='gloo')),
            model_wrapper_cfg=dict(type='MMFewShotDDP'),
            log_level='WARNING',
        ))


def task_accuracies(runner):
    loop = runner.test_loop
    model = loop.prepare_model()
    task_ids = list(range(loop.dataset.num_episodes))
    if loop.fast_test:
        feats = loop.extract_test_set_feats(model)
        results = loop.run_tasks_on_feats(model, feats, task_ids)
    else:
        results = loop.run_tasks(model, task_ids)
    return [result['accuracy'] for result in results]


@pytest.mark.parametrize('model', ['ProtoNet', 'Baseline'])
def test_batched_one_at_a_time_and_dataloader_paths_agree(
        shape_datasets, tmp_path, model):
    accuracies = {}
    for name, meta_test_cfg in {
            'batched': dict(fast_test=True, tasks_per_batch=100),
            'one task at a time': dict(fast_test=True, tasks_per_batch=1),
            'dataloaders': dict(fast_test=False),
    }.items():
        torch.manual_seed(0)
        runner = Runner.from_cfg(
            runner_cfg(
                shape_datasets['novel'],
                tmp_path / name,
                model,
                meta_test_cfg=meta_test_cfg))
        accuracies[name] = task_accuracies(runner)
    assert len(accuracies['batched']) == 12
    assert accuracies['batched'] == accuracies['one task at a time']
    assert accuracies['batched'] == accuracies['dataloaders']
    # a fresh model init per run; the same weights were used above because
    # the runner seeds everything with randomness.seed
    assert len(set(accuracies['batched'])) > 1  # tasks differ


def test_runner_test_reports_mean_std_and_interval(shape_datasets, tmp_path):
    runner = Runner.from_cfg(
        runner_cfg(shape_datasets['novel'], tmp_path, num_episodes=9))
    metrics = runner.test()
    accuracies = task_accuracies(runner)
    expected = mean_confidence_interval([100 * a for a in accuracies])
    assert metrics['num_tasks'] == 9
    assert metrics['accuracy_mean'] == pytest.approx(expected['mean'])
    assert metrics['accuracy_std'] == pytest.approx(expected['std'])
    assert metrics['accuracy_ci'] == pytest.approx(
        1.959964 * expected['std'] / 3, rel=1e-5)


def test_meta_test_loop_rejects_non_meta_test_dataset(shape_datasets,
                                                      tmp_path):
    cfg = runner_cfg(shape_datasets['novel'], tmp_path)
    cfg.test_dataloader.dataset = cfg.test_dataloader.dataset.dataset
    runner = Runner.from_cfg(cfg)
    with pytest.raises(TypeError, match='MetaTestDataset'):
        runner.test()


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


WORKER = """
import os, sys, torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmfewshot.utils import init_dist_env
init_dist_env('pytorch')
cfg = Config.fromfile(sys.argv[1])
rank = int(os.environ['RANK'])
cfg.work_dir = os.path.join(sys.argv[2], f'rank{rank}')
metrics = Runner.from_cfg(cfg).test()
torch.save(metrics, os.path.join(sys.argv[2], f'metrics{rank}.pth'))
"""


@pytest.mark.parametrize('model', ['ProtoNet', 'Baseline', 'MAML'])
def test_one_and_two_processes_give_identical_results(shape_datasets, tmp_path,
                                                      model):
    # 11 tasks: not a multiple of the world size, so padding is exercised
    meta_test_cfg = META_TEST_CFGS.get(model)
    cfg = runner_cfg(
        shape_datasets['novel'],
        tmp_path / 'single',
        model,
        num_episodes=11,
        meta_test_cfg=meta_test_cfg)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each worker below (OMP_NUM_THREADS=1)
    try:
        single = Runner.from_cfg(cfg).test()
    finally:
        torch.set_num_threads(threads)
    dist_cfg = runner_cfg(
        shape_datasets['novel'],
        tmp_path,
        model,
        num_episodes=11,
        meta_test_cfg=meta_test_cfg,
        launcher='pytorch')
    dist_cfg.dump(str(tmp_path / 'config.py'))
    (tmp_path / 'worker.py').write_text(WORKER)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={_free_port()}',
        str(tmp_path / 'worker.py'),
        str(tmp_path / 'config.py'),
        str(tmp_path)
    ],
                   check=True,
                   env=env,
                   capture_output=True)
    for rank in range(2):
        metrics = torch.load(tmp_path / f'metrics{rank}.pth')
        assert metrics['num_tasks'] == 11
        assert metrics['accuracy_mean'] == single['accuracy_mean']
        assert metrics['accuracy_std'] == pytest.approx(single['accuracy_std'])


def test_feature_extraction_is_sharded_by_whole_batches(
        shape_datasets, tmp_path):
    runner = Runner.from_cfg(runner_cfg(shape_datasets['novel'], tmp_path))
    loop = runner.test_loop  # 128 images in batches of 7

    def batches(rank, world_size):
        return [[int(sample.sample_idx) for sample in data['data_samples']]
                for data in loop.extraction_loader(rank, world_size)]

    single = batches(0, 1)
    shards = [batches(rank, 3) for rank in range(3)]
    assert len(single) == 19 and single[-1] == list(range(126, 128))
    # rank r takes batches r, r + 3, ... of the single-process run
    for rank in range(3):
        assert shards[rank] == single[rank::3]


def test_maml_task_results_do_not_depend_on_the_tasks_around_them(
        shape_datasets, tmp_path):
    """Batch statistics come from a task's own support or query set: the
    same task gives the same answer alone, among others, or in another
    order."""
    cfg = runner_cfg(
        shape_datasets['novel'],
        tmp_path,
        'MAML',
        meta_test_cfg=dict(fast_test=False))
    loop = Runner.from_cfg(cfg).test_loop
    model = loop.prepare_model()
    results = loop.run_tasks(model, [0, 1, 2, 3, 4, 5])
    alone = loop.run_tasks(model, [4])
    reversed_order = loop.run_tasks(model, [5, 4, 3, 2, 1, 0])
    assert alone[0] == results[4]
    assert reversed_order[::-1] == results
    assert len({result['accuracy'] for result in results}) > 1


def _train_mode_support_probs(prepared, loop, task_id):
    """Query class probabilities of one task computed as the original
    toolbox does with ``fast_test`` off: a fresh copy of the model, the
    support set through it in training mode (BatchNorm on the support
    batch, running statistics updated), the query set in evaluation
    mode."""
    model = copy.deepcopy(prepared)
    _, support_loader, query_loader = build_meta_test_dataloaders(
        loop.dataset, loop.meta_test_cfg)
    support_loader.dataset.set_task_id(task_id)
    query_loader.dataset.set_task_id(task_id)
    (support, ), (query, ) = list(support_loader), list(query_loader)
    support = model.data_preprocessor(support, False)
    query = model.data_preprocessor(query, False)
    with torch.no_grad():
        model.train()
        support_feats = model.extract_feat(support['inputs'])
        model.eval()
        query_feats = model.extract_feat(query['inputs'])
        labels = torch.cat(
            [sample.gt_label for sample in support['data_samples']])
        head = model.task_head
        state = head.adapt(support_feats[None], labels[None],
                           loop.dataset.num_ways, None)
        return head.scores_to_probs(head.predict(state, query_feats[None]))[0]


def _query_probs(loop, model, task_ids):
    """The query probabilities ``loop.run_tasks`` computes, task by task."""
    found = []
    forward_query = model.forward_query

    def recording(*args, **kwargs):
        samples = forward_query(*args, **kwargs)
        found.append(torch.stack([sample.pred_score for sample in samples]))
        return samples

    model.forward_query = recording
    loop.run_tasks(model, task_ids)
    del model.forward_query
    return found


def test_support_train_mode_runs_the_support_set_as_the_original(
        shape_datasets, tmp_path):
    """``support_train_mode``: support features on the support batch's
    BatchNorm statistics, query features on the running statistics that
    batch updated, every task from the starting statistics. The loop in
    evaluation mode throughout (its only behaviour before the option)
    answers differently."""
    task_ids = [0, 1, 2]
    probs = {}
    for name, meta_test_cfg in {
            'train mode': dict(support_train_mode=True),
            'eval mode': dict()
    }.items():
        loop = Runner.from_cfg(
            runner_cfg(
                shape_datasets['novel'],
                tmp_path / name.replace(' ', '_'),
                num_episodes=len(task_ids),
                meta_test_cfg=dict(
                    meta_test_cfg, fast_test=False, support=dict()))).test_loop
        model = loop.prepare_model()
        prepared = copy.deepcopy(model)
        probs[name] = _query_probs(loop, model, task_ids)
        # the model leaves every task with the statistics it came with
        for (key, buffer), (_, before) in zip(model.named_buffers(),
                                              prepared.named_buffers()):
            assert torch.equal(buffer, before), key
        assert not model.training

    for task_id, found, in_eval_mode in zip(task_ids, probs['train mode'],
                                            probs['eval mode']):
        expected = _train_mode_support_probs(prepared, loop, task_id)
        assert found.shape == (20, 5)
        torch.testing.assert_close(found, expected)
        assert not torch.allclose(in_eval_mode, expected, atol=1e-3)


def test_support_train_mode_needs_the_per_task_path(shape_datasets, tmp_path):
    cfg = runner_cfg(
        shape_datasets['novel'],
        tmp_path,
        meta_test_cfg=dict(fast_test=True, support_train_mode=True))
    with pytest.raises(
            ValueError, match='support_train_mode=True needs '
            'fast_test=False'):
        Runner.from_cfg(cfg).test()
