# FSDetView 5-shot fine-tuning on the toy dataset: as 1-shot with five
# instances of every class, twice as many iterations.
_base_ = ['./fsdetview_tiny-r18_c4_toy_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='5SHOT', seed=0)],
            num_novel_shots=5,
            num_base_shots=5)))
train_cfg = dict(max_iters=400, val_interval=400)
default_hooks = dict(checkpoint=dict(interval=400))
