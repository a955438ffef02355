"""Fixtures of the CLI tests: `otpc` run in-process with a temporary vault.
The helpers live in cli_harness.py, which tests import (never `conftest`)."""

from __future__ import annotations

import pytest
from cli_harness import Otpc


@pytest.fixture
def otpc(tmp_path, monkeypatch, capsys) -> Otpc:
    """A fresh vault (created by `otpc init --kdf-ms 1`) and a way to run otpc against it."""
    o = Otpc(tmp_path, monkeypatch, capsys)
    o.ok("init", "--kdf-ms", "1")
    return o


@pytest.fixture
def bare(tmp_path, monkeypatch, capsys) -> Otpc:
    """Like `otpc`, but no vault has been created yet."""
    return Otpc(tmp_path, monkeypatch, capsys)
