# MPSR few-shot fine-tuning on PASCAL VOC: the K-shot set of the TFA
# benchmark split files (K instances of every base and novel class,
# difficult boxes ignored) in both branches, the images of a VOC year and
# the auxiliary objects repeated when fewer than 50 (reweight_dataset),
# validation and test on VOC 2007 test.
# The method config names the setting, the shots, the classes and the
# evaluated splits. The training tool saves the loaded K-shot set as
# `<work_dir>/saved_dataset.json`.
_base_ = ['./base_voc.py']
train_dataloader = dict(
    dataset=dict(
        reweight_dataset=True,
        main_dataset=dict(
            _delete_=True,
            type='FewShotVOCDefaultDataset',
            data_root={{_base_.data_root}},
            ann_root='data/few_shot_ann/voc',
            ann_cfg=None,
            num_novel_shots=None,
            num_base_shots=None,
            classes=None,
            use_difficult=False,
            save_dataset=True,
            multi_pipelines=dict(
                main={{_base_.main_pipeline}},
                auxiliary={{_base_.auxiliary_pipeline}}))))
