from mmfewshot.detection.registry import *  # noqa: F401,F403
