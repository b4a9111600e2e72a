# Meta R-CNN 5-shot fine-tuning on VOC split 2: as 1-shot with 5 instances of
# every class.
_base_ = ['./meta-rcnn_r101_c4_8xb4_voc-split2_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        query_dataset=dict(
            ann_cfg=[dict(method='MetaRCNN', setting='SPLIT2_5SHOT')],
            num_novel_shots=5,
            num_base_shots=5)))
train_cfg = dict(max_iters=800, val_interval=200)
default_hooks = dict(checkpoint=dict(interval=200))
