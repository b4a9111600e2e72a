_base_ = ['./maml_resnet12_1xb105_tiered-imagenet_5way-1shot.py']

# the same training; meta-tested on 5-way 5-shot tasks
val_dataloader = dict(dataset=dict(num_shots=5))
test_dataloader = dict(dataset=dict(num_shots=5))
