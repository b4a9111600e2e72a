_base_ = ['./baseline_resnet12_1xb64_tiered-imagenet_5way-1shot.py']

# the same training; meta-tested on 5-way 5-shot tasks, every task's new
# head fine-tuned for 600 steps (150 at 1-shot)
val_dataloader = dict(dataset=dict(num_shots=5))
test_dataloader = dict(dataset=dict(num_shots=5))
val_cfg = dict(meta_test_cfg=dict(support=dict(train=dict(num_steps=600))))
test_cfg = dict(meta_test_cfg=dict(support=dict(train=dict(num_steps=600))))
