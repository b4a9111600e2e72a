# FSDetView 10-shot fine-tuning on COCO: the COCO base model, 10 instances
# of each of the 80 classes (benchmark split) as queries and 80-way 1-shot
# supports; backbone, RPN, res5 head and aggregators frozen, the box head
# trains; constant learning rate 0.001, 5k iterations (8 GPUs x 4 images).
_base_ = [
    '../../_base_/datasets/nway_kshot/few_shot_coco.py',
    '../fsdetview_r50_c4_fine-tuning.py', '../../_base_/default_runtime.py'
]
train_dataloader = dict(
    dataset=dict(
        num_used_support_shots=10,
        query_dataset=dict(
            ann_cfg=[dict(method='FSDetView', setting='10SHOT')],
            num_novel_shots=10,
            num_base_shots=10)))
optim_wrapper = dict(optimizer=dict(lr=0.001))
# constant learning rate: no warm-up, no decay
param_scheduler = []
train_cfg = dict(max_iters=5000, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000))
load_from = ('work_dirs/fsdetview_r50_c4_8xb4_coco_base-training/'
             'iter_80000.pth')
