_base_ = ['./maml_conv4_1xb320_mini-imagenet_5way-1shot.py']

# first-order MAML: second-order gradients through ResNet12 do
# not fit in memory
model = dict(
    backbone=dict(type='ResNet12'),
    head=dict(in_channels=640),
    first_order=True)
