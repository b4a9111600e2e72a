# FSDetView 5-shot fine-tuning on VOC split 1: as 1-shot with 5 instances of
# every class.
_base_ = ['./fsdetview_r101_c4_8xb4_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='SPLIT1_5SHOT')],
            num_novel_shots=5,
            num_base_shots=5)))
train_cfg = dict(max_iters=800, val_interval=200)
default_hooks = dict(checkpoint=dict(interval=200))
