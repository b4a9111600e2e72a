_base_ = ['./meta-baseline_conv4_1xb100_mini-imagenet_5way-1shot.py']

model = dict(
    backbone=dict(
        type='ResNet12',
        init_cfg=dict(
            checkpoint='work_dirs/baseline_resnet12_1xb64_mini-imagenet_'
            '5way-1shot/best_accuracy_mean_*.pth')))
