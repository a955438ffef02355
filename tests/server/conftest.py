"""Fixtures of the server tests: a real companion (module-wide or fresh) and a paired client.
The helpers live in companion_harness.py, which tests import (never `conftest`)."""

from __future__ import annotations

import protoclient as pc
import pytest
from companion_harness import _companion


@pytest.fixture(scope="module")
def companion(tmp_path_factory):
    """One running, unlocked companion per test module."""
    running = _companion(tmp_path_factory.mktemp("companion"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def fresh_companion(tmp_path):
    """A companion of its own (for rate limits, locking, revocation)."""
    running = _companion(tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(companion) -> pc.ProtoClient:
    return companion.paired_client()
