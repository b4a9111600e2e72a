# FSDetView 30-shot fine-tuning on COCO: as 10-shot with 30 instances of
# every class, 8k iterations.
_base_ = ['./fsdetview_r50_c4_8xb4_coco_10shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        num_used_support_shots=30,
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='30SHOT')],
            num_novel_shots=30,
            num_base_shots=30)))
train_cfg = dict(max_iters=8000, val_interval=1000)
