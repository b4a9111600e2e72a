"""Fixtures for the whole suite."""
import pytest
from mmengine.registry import DefaultScope


def _drop_new_scopes(before):
    for name in set(DefaultScope._instance_dict) - before:
        DefaultScope._instance_dict.pop(name)


@pytest.fixture(autouse=True, scope='module')
def isolate_module_default_scope():
    """The same for scopes made by module-scoped fixtures (a runner built
    once for a whole test file)."""
    before = set(DefaultScope._instance_dict)
    yield
    _drop_new_scopes(before)


@pytest.fixture(autouse=True)
def isolate_default_scope():
    """Drop the default scopes a test creates (runners make one each).

    mmengine resolves bare ``type`` names through the most recently created
    default scope, so a classification runner left behind would make later
    detection builds search the classification registries.
    """
    before = set(DefaultScope._instance_dict)
    yield
    _drop_new_scopes(before)
