_base_ = ['./meta-baseline_conv4_1xb100_mini-imagenet_5way-1shot.py']

model = dict(
    backbone=dict(
        type='ResNet12',
        init_cfg=dict(
            checkpoint='work_dirs/meta-baseline_pretrain_resnet12_1xb128_'
            'mini-imagenet_5way-1shot/epoch_100.pth')))
