# Runtime of the fine-tune based methods (Baseline, Baseline++, NegMargin):
# at meta test a new head is trained on each task's (cached) support
# features, 150 SGD steps on batches of 4 support samples drawn as by a
# shuffling loader that drops the last, smaller batch of every pass. The
# 5-shot configs train for 600 steps; NegMargin keeps the smaller batches.
_base_ = ['./default_runtime.py']

finetune_cfg = dict(
    num_steps=150,
    batch_size=4,
    drop_last=True,
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, dampening=0.9, weight_decay=0.001))
val_cfg = dict(meta_test_cfg=dict(support=dict(train=finetune_cfg)))
test_cfg = dict(meta_test_cfg=dict(support=dict(train=finetune_cfg)))
