"""The reference models of ``tools/analysis/benchmark_detection.py`` build
from the configs as they are (the benchmark itself is not run here)."""
import torch
from mmengine.config import Config

TOOL = 'tools/analysis/benchmark_detection.py'


def test_plain_references_are_mmdet_models_with_mmdet_preprocessors(
        load_script):
    from mmdet.models import DetDataPreprocessor, FasterRCNN
    bench = load_script(TOOL)
    cpu = torch.device('cpu')
    fpn_cfg = Config.fromfile(bench.BASE_CONFIG)
    defrcn_cfg = Config.fromfile(bench.DEFRCN_FINE_TUNING)
    name, plain_c4 = bench.reference_of(defrcn_cfg)
    assert name == 'Faster R-CNN R101-C4, RoIAlign 7 (mmdet)'
    assert bench.reference_of(fpn_cfg) == (bench.REFERENCE, None)
    for model_cfg in (fpn_cfg.model, plain_c4):
        # our base models name FewShotDetDataPreprocessor, which mmdet's
        # registry does not hold
        model = bench.build(model_cfg, 'mmdet', cpu)
        assert type(model) is FasterRCNN
        assert type(model.data_preprocessor) is DetDataPreprocessor
        assert model.roi_head.bbox_head.num_classes == \
            model_cfg.roi_head.bbox_head.num_classes
