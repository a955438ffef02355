"""Fixtures for the vault tests: real vault files in tmp_path, an in-memory OS keyring."""

from __future__ import annotations

import keyring
import pytest
from vault_helpers import PASSWORD, MemoryKeyring

from companion.vault import Vault


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """What this machine remembers about vaults (the last generation seen) goes to a directory of
    the test's own, not the user's ~/.local/state/otpc."""
    path = tmp_path / "state"
    monkeypatch.setenv("OTPC_STATE_DIR", str(path))
    return path


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


@pytest.fixture
def vault_path(tmp_path):
    return tmp_path / "vaults" / "vault.sqlite"


@pytest.fixture
def vault(vault_path):
    v = Vault.create(vault_path, PASSWORD, kdf_ms=1)
    yield v
    v.close()
