"""Padding of training and test batches by the detection data
preprocessors, and the configs that pad as the original's pipelines: MPSR
pads training images (and crops) to multiples of 32 but not test images;
Meta R-CNN and FSDetView pad fine-tuning queries to 32 but neither their
test images nor base training; TFA and FSCE pad both to 32. Before the
test padding option, every preprocessor padded test batches as training
batches: these tests failed on it."""
from pathlib import Path

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config

from mmfewshot.detection.registry import MODELS
from mmfewshot.utils import ConfigError

ROOT = Path(__file__).resolve().parents[2]
# an image whose sides are no multiple of 32
HEIGHT, WIDTH = 50, 70


def batch(size=(HEIGHT, WIDTH), channels=3):
    image = torch.randint(0, 255, (channels, *size), dtype=torch.uint8)
    sample = DetDataSample(metainfo=dict(img_shape=size, ori_shape=size))
    return dict(inputs=[image], data_samples=[sample])


def padded(preprocessor, data, training):
    out = preprocessor(data, training)
    shape = tuple(out['inputs'].shape[-2:])
    # the RPN's valid anchors and the box clipping read the pad shape
    assert out['data_samples'][0].pad_shape == shape
    assert out['data_samples'][0].batch_input_shape == shape
    return shape


def config_preprocessor(relative):
    cfg = Config.fromfile(str(ROOT / 'configs/detection' / relative))
    return MODELS.build(cfg.model.data_preprocessor)


def test_test_batches_take_their_own_padding():
    preprocessor = MODELS.build(
        dict(
            type='FewShotDetDataPreprocessor',
            mean=[0., 0., 0.],
            std=[1., 1., 1.],
            pad_size_divisor=32,
            test_pad_size_divisor=1))
    assert padded(preprocessor, batch(), True) == (64, 96)
    assert padded(preprocessor, batch(), False) == (HEIGHT, WIDTH)
    # without the option, test batches are padded as training batches
    same = MODELS.build(
        dict(type='FewShotDetDataPreprocessor', pad_size_divisor=32))
    assert padded(same, batch(), False) == (64, 96)
    with pytest.raises(ConfigError, match='test_pad_size_divisor'):
        MODELS.build(
            dict(type='FewShotDetDataPreprocessor', test_pad_size_divisor=0))


@pytest.mark.parametrize('relative, training_pad, test_pad', [
    ('mpsr/voc/split1/mpsr_r101_fpn_2xb2_voc-split1_base-training.py', 32, 1),
    ('mpsr/coco/mpsr_r101_fpn_2xb2_coco_10shot-fine-tuning.py', 32, 1),
    ('meta_rcnn/voc/split1/meta-rcnn_r101_c4_8xb4_voc-split1_base-training.py',
     1, 1),
    ('meta_rcnn/voc/split1/'
     'meta-rcnn_r101_c4_8xb4_voc-split1_1shot-fine-tuning.py', 32, 1),
    ('meta_rcnn/coco/meta-rcnn_r50_c4_8xb4_coco_10shot-fine-tuning.py', 32, 1),
    ('fsdetview/voc/split2/'
     'fsdetview_r101_c4_8xb4_voc-split2_5shot-fine-tuning.py', 32, 1),
    ('fsdetview/coco/fsdetview_r50_c4_8xb4_coco_30shot-fine-tuning.py', 32, 1),
    ('tfa/voc/split1/tfa_r101_fpn_voc-split1_1shot-fine-tuning.py', 32, 32),
    ('attention_rpn/voc/split1/'
     'attention-rpn_r50_c4_voc-split1_base-training.py', 1, 1),
])
def test_configs_pad_as_the_original_pipelines(relative, training_pad,
                                               test_pad):
    preprocessor = config_preprocessor(relative)
    assert (preprocessor.train_pad_size_divisor,
            preprocessor.test_pad_size_divisor) == (training_pad, test_pad)
    expected = {
        1: (HEIGHT, WIDTH),
        32: (64, 96),
    }
    assert padded(preprocessor, batch(), False) == expected[test_pad]
    if 'mpsr' in relative:
        # a training batch: main images and the crops of one scale
        crops = batch(size=(40, 40))
        out = preprocessor(
            dict(main_data=batch(), auxiliary_data=[crops]), True)
        assert tuple(out['inputs'].shape[-2:]) == expected[training_pad]
        assert tuple(out['auxiliary_inputs'][0].shape[-2:]) == (64, 64)
    elif 'attention_rpn' not in relative and 'tfa' not in relative:
        support = batch(size=(32, 32), channels=4)
        out = preprocessor(
            dict(query_data=batch(), support_data=support), True)
        assert tuple(out['inputs'].shape[-2:]) == expected[training_pad]
        assert tuple(out['support_inputs'].shape[-2:]) == (32, 32)
    else:
        assert padded(preprocessor, batch(), True) == expected[training_pad]
