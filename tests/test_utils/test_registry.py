import pytest
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope

from mmfewshot.classification import registry as cls_registry
from mmfewshot.detection import registry as det_registry
from mmfewshot.utils import InfiniteSampler


def test_scopes_are_distinct_and_parents_are_mm_libraries():
    assert cls_registry.MODELS.scope == 'mmfewshot_cls'
    assert det_registry.MODELS.scope == 'mmfewshot_det'
    assert cls_registry.MODELS.parent.scope == 'mmpretrain'
    assert det_registry.MODELS.parent.scope == 'mmdet'


def test_classification_config_mixes_mmpretrain_and_mmfewshot_types():
    cfg = Config(
        dict(
            backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
            loss=dict(type='CrossEntropyLoss'),
            sampler=dict(type='InfiniteSampler', shuffle=False, seed=0)))
    # builds follow the default scope, as in a runner of this scope
    with DefaultScope.overwrite_default_scope('mmfewshot_cls'):
        backbone = cls_registry.MODELS.build(cfg.backbone)
        loss = cls_registry.MODELS.build(cfg.loss)
        sampler = cls_registry.DATA_SAMPLERS.build(
            cfg.sampler, default_args=dict(dataset=list(range(4))))
    assert type(backbone).__module__.startswith('mmpretrain')
    assert type(loss).__module__.startswith('mmpretrain')
    assert isinstance(sampler, InfiniteSampler)


def test_detection_config_mixes_mmdet_and_mmfewshot_types():
    with DefaultScope.overwrite_default_scope('mmfewshot_det'):
        neck = det_registry.MODELS.build(
            dict(type='FPN', in_channels=[8, 16], out_channels=8, num_outs=2))
        sampler = det_registry.DATA_SAMPLERS.build(
            dict(type='InfiniteSampler', seed=0),
            default_args=dict(dataset=[0, 1]))
    assert type(neck).__module__.startswith('mmdet')
    assert isinstance(sampler, InfiniteSampler)


@pytest.mark.parametrize('scope, parent', [('mmfewshot_cls', 'mmpretrain'),
                                           ('mmfewshot_det', 'mmdet')])
def test_default_scope_routes_root_builds(scope, parent):
    name = f'test-scope-{scope}'
    DefaultScope.get_instance(name, scope_name=scope)
    with ROOT_MODELS.switch_scope_and_registry(None) as registry:
        assert registry.scope == scope
    DefaultScope._instance_dict.pop(name)


def test_sides_do_not_see_each_other():
    assert cls_registry.MODELS.get('FPN') is None
    assert det_registry.MODELS.get('ImageClassifier') is None
