"""POST /v1/unlock on a rolled-back vault: an older copy of the file is put back (as a restored backup
or anyone with write access to it would), the companion starts locked, a paired browser sends the right
master password. The answer is 409 "vault_damaged" with a fixed message, never 500 "internal"; the
details (the generations, the file's path) stay in the companion's log; the vault stays locked.
Real companion on a real port, real vault file, the old copy put back on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from companion_harness import PASSWORD, _companion

from companion.vault import Vault

pytestmark = pytest.mark.slow  # each test starts a real companion


@pytest.fixture
def rolled_back(tmp_path, monkeypatch):
    """A locked companion over a vault whose older copy (before Initech was added) was put back."""
    monkeypatch.setenv("OTPC_STATE_DIR", str(tmp_path / "state"))  # the companion inherits it
    running = _companion(tmp_path)
    old = tmp_path / "old.sqlite"
    shutil.copy(running.vault, old)
    vault = Vault.open(running.vault)
    vault.unlock(PASSWORD)
    vault.add_customer("Initech")
    vault.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{running.vault}{suffix}").unlink(missing_ok=True)
    shutil.copy(old, running.vault)
    running.start(password=None)
    yield running
    running.stop()


def test_unlock_of_a_rolled_back_vault_is_409_vault_damaged_not_500(rolled_back):
    client = rolled_back.paired_client()
    status, body = client.call("/v1/unlock", {"password": client.seal("unlock", PASSWORD)})
    assert status == 409, body
    assert body["error"] == "vault_damaged"
    assert "rolled back or damaged" in body["message"] and "otpc unlock" in body["message"]
    assert str(rolled_back.vault) not in body["message"] and "generation" not in body["message"]
    assert "vault rolled back: generation" in rolled_back.log()  # the details, for the user
    assert "Traceback" not in rolled_back.log()

    assert client.call("/v1/status")[1]["locked"] is True
    # A wrong password is still just that (checked before the generation): no oracle, and it counts.
    status, body = client.call("/v1/unlock", {"password": client.seal("unlock", "not it")})
    assert (status, body["error"]) == (403, "wrong_password")
