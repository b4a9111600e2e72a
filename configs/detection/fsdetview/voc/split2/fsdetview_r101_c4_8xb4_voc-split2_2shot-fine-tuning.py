# FSDetView 2-shot fine-tuning on VOC split 2: as 1-shot with 2 instances of
# every class, learning rate 0.001.
_base_ = ['./fsdetview_r101_c4_8xb4_voc-split2_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='SPLIT2_2SHOT')],
            num_novel_shots=2,
            num_base_shots=2)))
optim_wrapper = dict(optimizer=dict(lr=0.001))
train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(checkpoint=dict(interval=100))
