"""Registries of the detection side (scope ``mmfewshot_det``).

Each registry's parent is the mmdet registry of the same role, so a
detection config can name any mmdet (and mmengine) module by its bare
``type`` next to the modules mmfewshot registers here.
"""
from mmdet import registry as mmdet_registry
from mmengine.registry import Registry

from mmfewshot.utils import DistributedInfiniteSampler, InfiniteSampler

SCOPE = 'mmfewshot_det'


def _child(name: str, parent: Registry) -> Registry:
    # Importing the parent's locations too makes mmdet's modules
    # available by bare name as soon as a config is built in this scope.
    return Registry(
        name,
        parent=parent,
        scope=SCOPE,
        locations=list(parent._locations) + ['mmfewshot.detection'])


RUNNERS = _child('runner', mmdet_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             mmdet_registry.RUNNER_CONSTRUCTORS)
LOOPS = _child('loop', mmdet_registry.LOOPS)
HOOKS = _child('hook', mmdet_registry.HOOKS)
LOG_PROCESSORS = _child('log processor', mmdet_registry.LOG_PROCESSORS)
OPTIMIZERS = _child('optimizer', mmdet_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', mmdet_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    mmdet_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler',
                          mmdet_registry.PARAM_SCHEDULERS)
DATASETS = _child('dataset', mmdet_registry.DATASETS)
DATA_SAMPLERS = _child('data sampler', mmdet_registry.DATA_SAMPLERS)
TRANSFORMS = _child('transform', mmdet_registry.TRANSFORMS)
MODELS = _child('model', mmdet_registry.MODELS)
MODEL_WRAPPERS = _child('model_wrapper', mmdet_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child('weight initializer',
                             mmdet_registry.WEIGHT_INITIALIZERS)
TASK_UTILS = _child('task util', mmdet_registry.TASK_UTILS)
METRICS = _child('metric', mmdet_registry.METRICS)
EVALUATORS = _child('evaluator', mmdet_registry.EVALUATOR)
VISUALIZERS = _child('visualizer', mmdet_registry.VISUALIZERS)
VISBACKENDS = _child('vis_backend', mmdet_registry.VISBACKENDS)

for _sampler in (InfiniteSampler, DistributedInfiniteSampler):
    DATA_SAMPLERS.register_module(module=_sampler)
