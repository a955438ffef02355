"""The packaging tests use the CLI runner of tests/harness/ (the `otpc` fixture: a fresh vault)."""

from __future__ import annotations

import pytest
from harness.cli_runner import Otpc


@pytest.fixture
def otpc(tmp_path, monkeypatch, capsys) -> Otpc:
    o = Otpc(tmp_path, monkeypatch, capsys)
    o.ok("init", "--kdf-ms", "1")
    return o
