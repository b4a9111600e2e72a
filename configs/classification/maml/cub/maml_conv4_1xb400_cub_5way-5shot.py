_base_ = ['./maml_conv4_1xb320_cub_5way-1shot.py']

# trained and meta-tested on 5-way 5-shot tasks
train_dataloader = dict(dataset=dict(num_shots=5))
val_dataloader = dict(dataset=dict(num_shots=5))
test_dataloader = dict(dataset=dict(num_shots=5))
