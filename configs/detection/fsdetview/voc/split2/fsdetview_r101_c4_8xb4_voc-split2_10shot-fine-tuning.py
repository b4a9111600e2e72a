# FSDetView 10-shot fine-tuning on VOC split 2: as 1-shot with 10 instances
# of every class, learning rate 0.001.
_base_ = ['./fsdetview_r101_c4_8xb4_voc-split2_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='SPLIT2_10SHOT')],
            num_novel_shots=10,
            num_base_shots=10)))
optim_wrapper = dict(optimizer=dict(lr=0.001))
train_cfg = dict(max_iters=1000, val_interval=200)
default_hooks = dict(checkpoint=dict(interval=200))
