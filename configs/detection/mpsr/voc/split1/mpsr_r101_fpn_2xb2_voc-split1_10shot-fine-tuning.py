# MPSR 10-shot fine-tuning on VOC split 1: as 1-shot with 10 instances of
# every class.
_base_ = ['./mpsr_r101_fpn_2xb2_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        main_dataset=dict(
            ann_cfg=[dict(method='MPSR', setting='SPLIT1_10SHOT')],
            num_novel_shots=10,
            num_base_shots=10)))
