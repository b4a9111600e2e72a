"""Fixtures for the whole suite."""
import logging

import pytest
from mmengine.logging import MMLogger
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


class _LogRecords(logging.Handler):
    """Keeps ``(level, message)`` of every record it is given."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        self.records.append((record.levelno, record.getMessage()))


@pytest.fixture
def log_records():
    """``(level, message)`` of what mmengine's current logger logs (info
    and above) during the test."""
    handler = _LogRecords()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
