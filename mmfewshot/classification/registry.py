"""Registries of the classification side (scope ``mmfewshot_cls``).

Each registry's parent is the mmpretrain registry of the same role, so a
classification config can name any mmpretrain (and mmengine) module by its
bare ``type`` next to the modules mmfewshot registers here.
"""
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

from mmfewshot.utils import DistributedInfiniteSampler, InfiniteSampler

SCOPE = 'mmfewshot_cls'


def _child(name: str, parent: Registry) -> Registry:
    # Importing the parent's locations too makes mmpretrain's modules
    # available by bare name as soon as a config is built in this scope.
    return Registry(
        name,
        parent=parent,
        scope=SCOPE,
        locations=list(parent._locations) + ['mmfewshot.classification'])


RUNNERS = _child('runner', mmpretrain_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             mmpretrain_registry.RUNNER_CONSTRUCTORS)
LOOPS = _child('loop', mmpretrain_registry.LOOPS)
HOOKS = _child('hook', mmpretrain_registry.HOOKS)
LOG_PROCESSORS = _child('log processor', mmpretrain_registry.LOG_PROCESSORS)
OPTIMIZERS = _child('optimizer', mmpretrain_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', mmpretrain_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor',
    mmpretrain_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler',
                          mmpretrain_registry.PARAM_SCHEDULERS)
DATASETS = _child('dataset', mmpretrain_registry.DATASETS)
DATA_SAMPLERS = _child('data sampler', mmpretrain_registry.DATA_SAMPLERS)
TRANSFORMS = _child('transform', mmpretrain_registry.TRANSFORMS)
MODELS = _child('model', mmpretrain_registry.MODELS)
MODEL_WRAPPERS = _child('model_wrapper', mmpretrain_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child('weight initializer',
                             mmpretrain_registry.WEIGHT_INITIALIZERS)
TASK_UTILS = _child('task util', mmpretrain_registry.TASK_UTILS)
METRICS = _child('metric', mmpretrain_registry.METRICS)
EVALUATORS = _child('evaluator', mmpretrain_registry.EVALUATORS)
VISUALIZERS = _child('visualizer', mmpretrain_registry.VISUALIZERS)
VISBACKENDS = _child('vis_backend', mmpretrain_registry.VISBACKENDS)

for _sampler in (InfiniteSampler, DistributedInfiniteSampler):
    DATA_SAMPLERS.register_module(module=_sampler)
