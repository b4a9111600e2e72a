"""Time meta testing on cached features: one task at a time vs batched.

Builds Baseline (a linear head fine-tuned per task) and ProtoNet with a
Conv4 backbone, extracts the features of a synthetic test set once (the
``fast_test`` pass), then answers the same tasks one at a time and in
batches, checks both give the same answers, and prints a table.

Example::

    python tools/analysis/benchmark_meta_test.py --num-tasks 2000
"""
import argparse
import time
from typing import Callable, List

import torch
from terminaltables import AsciiTable

from mmfewshot.classification.registry import MODELS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-tasks', type=int, default=2000)
    parser.add_argument('--num-ways', type=int, default=5)
    parser.add_argument('--num-shots', type=int, default=1)
    parser.add_argument('--num-queries', type=int, default=15)
    parser.add_argument(
        '--num-classes',
        type=int,
        default=20,
        help='classes of the synthetic test set')
    parser.add_argument('--images-per-class', type=int, default=600)
    parser.add_argument('--image-size', type=int, default=84)
    parser.add_argument('--finetune-steps', type=int, default=100)
    parser.add_argument(
        '--tasks-per-batch',
        type=int,
        default=100,
        help='as meta_test_cfg.tasks_per_batch (default 100)')
    parser.add_argument(
        '--single-task-limit',
        type=int,
        default=200,
        help='tasks timed one at a time for Baseline (the rest is '
        'extrapolated; 0 = all)')
    parser.add_argument('--extract-batch-size', type=int, default=128)
    parser.add_argument('--device', default=None)
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch default)')
    return parser.parse_args()


def timed(function: Callable, device: torch.device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    result = function()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return result, time.perf_counter() - start


def build(name: str, args, feat_dim: int, device: torch.device):
    preprocessor = dict(mean=[127.5] * 3, std=[127.5] * 3)
    if name == 'Baseline':
        cfg = dict(
            type='Baseline',
            backbone=dict(type='Conv4'),
            head=dict(type='LinearHead', num_classes=64, in_channels=feat_dim),
            meta_test_head=dict(
                type='LinearHead',
                num_classes=args.num_ways,
                in_channels=feat_dim))
    else:
        cfg = dict(type='ProtoNet', backbone=dict(type='Conv4'))
    model = MODELS.build(dict(cfg, data_preprocessor=preprocessor))
    model.to(device)
    model.before_meta_test(
        dict(
            num_ways=args.num_ways,
            support=dict(
                train=dict(num_steps=args.finetune_steps, batch_size=4))))
    return model


def sample_tasks(args, generator: torch.Generator):
    """Class-major support/query indices of every task into the test set."""
    per_class = args.images_per_class
    needed = args.num_shots + args.num_queries
    support, query = [], []
    for _ in range(args.num_tasks):
        classes = torch.randperm(args.num_classes, generator=generator)
        support_rows, query_rows = [], []
        for class_id in classes[:args.num_ways].tolist():
            picks = torch.randperm(
                per_class, generator=generator)[:needed] + class_id * per_class
            support_rows.append(picks[:args.num_shots])
            query_rows.append(picks[args.num_shots:])
        support.append(torch.cat(support_rows))
        query.append(torch.cat(query_rows))
    return torch.stack(support), torch.stack(query)


def answer(model, feats, support_indices, query_indices, args,
           tasks_per_batch: int, limit: int) -> List[torch.Tensor]:
    ways = torch.arange(args.num_ways, device=feats.device)
    support_labels = ways.repeat_interleave(args.num_shots)
    outputs = []
    for start in range(0, limit, tasks_per_batch):
        stop = min(start + tasks_per_batch, limit)
        outputs.append(
            model.meta_test_tasks(
                feats[support_indices[start:stop]],
                support_labels.expand(stop - start, -1),
                feats[query_indices[start:stop]],
                task_seeds=list(range(start, stop))))
    return outputs


def finetune_rows(model, feats, support_indices, args, limit: int,
                  device: torch.device) -> List[list]:
    """Fine-tuning alone (the head's ``adapt``): one task vs all at once."""
    head = model.task_head
    labels = torch.arange(
        args.num_ways, device=device).repeat_interleave(args.num_shots)
    support = feats[support_indices]

    def one_at_a_time():
        for task in range(limit):
            head.adapt(support[task:task + 1], labels[None], args.num_ways,
                       [task])

    def all_at_once():
        head.adapt(support, labels.expand(len(support), -1), args.num_ways,
                   list(range(len(support))))

    _, single_seconds = timed(one_at_a_time, device)
    single_total = single_seconds * args.num_tasks / limit
    _, batched_seconds = timed(all_at_once, device)
    return [[
        'Baseline', 'fine-tuning one at a time', args.num_tasks,
        f'{single_total:.2f}', f'{args.num_tasks / single_total:.1f}',
        '' if limit == args.num_tasks else f'timed {limit} tasks, extrapolated'
    ],
            [
                'Baseline', 'fine-tuning all tasks at once', args.num_tasks,
                f'{batched_seconds:.2f}',
                f'{args.num_tasks / batched_seconds:.1f}',
                f'speed-up {single_total / batched_seconds:.0f}x'
            ]]


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(
        args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    generator = torch.Generator().manual_seed(0)
    num_images = args.num_classes * args.images_per_class
    images = torch.randint(
        0,
        256, (num_images, 3, args.image_size, args.image_size),
        dtype=torch.uint8,
        generator=generator)
    support_indices, query_indices = sample_tasks(args, generator)
    support_indices = support_indices.to(device)
    query_indices = query_indices.to(device)

    rows = [['method', 'stage', 'tasks', 'seconds', 'tasks/s', 'note']]
    for name in ('ProtoNet', 'Baseline'):
        probe = MODELS.build(dict(type='Conv4')).eval()
        with torch.no_grad():
            feat_dim = probe(
                torch.zeros(1, 3, args.image_size, args.image_size)).shape[1]
        model = build(name, args, feat_dim, device)

        def extract():
            chunks = []
            with torch.no_grad():
                for start in range(0, num_images, args.extract_batch_size):
                    batch = images[start:start + args.extract_batch_size]
                    data = model.data_preprocessor(
                        dict(inputs=list(batch)), False)
                    chunks.append(model.extract_feat(data['inputs']))
            return torch.cat(chunks)

        feats, extract_seconds = timed(extract, device)
        rows.append([
            name, 'feature extraction', '-', f'{extract_seconds:.2f}', '-',
            f'{num_images} images {args.image_size}x{args.image_size}'
        ])
        batched, batched_seconds = timed(
            lambda: answer(model, feats, support_indices, query_indices, args,
                           args.tasks_per_batch, args.num_tasks), device)
        batched = torch.cat(batched)
        limit = args.num_tasks
        if name == 'Baseline' and args.single_task_limit:
            limit = min(args.single_task_limit, args.num_tasks)
        single, single_seconds = timed(
            lambda: answer(model, feats, support_indices, query_indices, args,
                           1, limit), device)
        single = torch.cat(single)
        single_total = single_seconds * args.num_tasks / limit
        note = '' if limit == args.num_tasks else \
            f'timed {limit} tasks, extrapolated'
        rows.append([
            name, 'tasks one at a time', args.num_tasks, f'{single_total:.2f}',
            f'{args.num_tasks / single_total:.1f}', note
        ])
        rows.append([
            name, f'tasks batched ({args.tasks_per_batch}/batch)',
            args.num_tasks, f'{batched_seconds:.2f}',
            f'{args.num_tasks / batched_seconds:.1f}', ''
        ])
        difference = float((single - batched[:limit]).abs().max())
        same_answers = bool(
            (single.argmax(-1) == batched[:limit].argmax(-1)).all())
        rows.append([
            name, 'whole fast meta test', args.num_tasks,
            f'{extract_seconds + batched_seconds:.2f}', '-',
            f'{(extract_seconds + batched_seconds) / extract_seconds:.2f}x '
            'extraction'
        ])
        rows.append([
            name, 'batched vs one at a time', limit, '-', '-',
            f'speed-up {single_total / batched_seconds:.1f}x, max |dp| '
            f'{difference:.1e}, same predictions: {same_answers}'
        ])
        if name == 'Baseline':
            rows.extend(
                finetune_rows(model, feats, support_indices, args, limit,
                              device))
    print(f'device: {device}, threads: {torch.get_num_threads()}, '
          f'{args.num_ways}-way {args.num_shots}-shot {args.num_queries} '
          f'queries, Baseline fine-tunes {args.finetune_steps} steps')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
