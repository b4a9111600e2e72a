# MPSR 3-shot fine-tuning on VOC split 1: as 1-shot with 3 instances of
# every class; the auxiliary objects of rarer classes are not repeated (the
# original's split 1 3-shot config, unlike its other few-shot ones).
_base_ = ['./mpsr_r101_fpn_2xb2_voc-split1_1shot-fine-tuning.py']
train_dataloader = dict(
    dataset=dict(
        reweight_dataset=False,
        main_dataset=dict(
            ann_cfg=[dict(method='MPSR', setting='SPLIT1_3SHOT')],
            num_novel_shots=3,
            num_base_shots=3)))
