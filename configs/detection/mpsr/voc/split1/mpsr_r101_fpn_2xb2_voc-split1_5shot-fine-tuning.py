# MPSR 5-shot fine-tuning on VOC split 1: as 1-shot with 5 instances of
# every class.
_base_ = ['./mpsr_r101_fpn_2xb2_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        main_dataset=dict(
            ann_cfg=[dict(method='MPSR', setting='SPLIT1_5SHOT')],
            num_novel_shots=5,
            num_base_shots=5)))
