_base_ = ['./meta-baseline_resnet12_1xb100_mini-imagenet_5way-1shot.py']

# the same training from the Baseline checkpoint selected on 5-shot tasks;
# meta-tested on 5-way 5-shot tasks
model = dict(
    backbone=dict(
        init_cfg=dict(
            checkpoint='work_dirs/baseline_resnet12_1xb64_mini-imagenet_'
            '5way-5shot/best_accuracy_mean_*.pth')))
val_dataloader = dict(dataset=dict(num_shots=5))
test_dataloader = dict(dataset=dict(num_shots=5))
