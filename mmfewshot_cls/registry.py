from mmfewshot.classification.registry import *  # noqa: F401,F403
