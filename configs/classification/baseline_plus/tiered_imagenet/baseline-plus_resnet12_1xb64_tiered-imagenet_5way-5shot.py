_base_ = ['./baseline-plus_resnet12_1xb64_tiered-imagenet_5way-1shot.py']

# the same training; meta-tested on 5-way 5-shot tasks, every task's new
# head fine-tuned for 600 steps (150 at 1-shot)
val_dataloader = dict(dataset=dict(num_shots=5))
test_dataloader = dict(dataset=dict(num_shots=5))
val_cfg = dict(meta_test_cfg=dict(support=dict(train=dict(num_steps=600))))
test_cfg = dict(meta_test_cfg=dict(support=dict(train=dict(num_steps=600))))

# the original trains this 5-shot model for 200 epochs (as
# schedules/sgd_200epoch.py), its 1-shot model for 100
train_cfg = dict(max_epochs=200)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.25, by_epoch=False, begin=0, end=3000),
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 120], gamma=0.1)
]
