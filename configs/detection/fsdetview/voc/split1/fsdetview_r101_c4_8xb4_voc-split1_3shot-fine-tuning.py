# FSDetView 3-shot fine-tuning on VOC split 1: as 1-shot with 3 instances of
# every class.
_base_ = ['./fsdetview_r101_c4_8xb4_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='SPLIT1_3SHOT')],
            num_novel_shots=3,
            num_base_shots=3)))
train_cfg = dict(max_iters=500, val_interval=100)
default_hooks = dict(checkpoint=dict(interval=100))
