"""Issue 9 #3, companion side: refreshes marked `"passive": true` (the popup's ticker) do not count
as activity, so a client polling `/v1/code` passively cannot keep the vault from auto-locking; a
request someone asked for (no `passive`) resets the idle timer. Real companion, real port."""

from __future__ import annotations

import time

import pytest
from companion_harness import _companion

from companion.server.config import ServerConfig, save_config

pytestmark = pytest.mark.slow  # fresh companions that must idle (make test-fast leaves it out)

IDLE_MINUTES = 0.1  # 6 s
IDLE_SECONDS = IDLE_MINUTES * 60


@pytest.fixture
def short_idle(tmp_path):
    running = _companion(tmp_path)
    save_config(running.vault, ServerConfig(port=running.port, idle_lock_minutes=IDLE_MINUTES))
    running.start()
    yield running
    running.stop()


def code(client, entry_id: str, **extra) -> int:
    return client.call("/v1/code", {"entry_id": entry_id, **extra})[0]


def test_passive_polling_does_not_keep_the_vault_open(short_idle):
    client = short_idle.paired_client()
    mail = short_idle.ids["mail"]
    assert code(client, mail) == 200  # a user action: the idle timer starts now
    started = time.monotonic()
    statuses = []
    while time.monotonic() - started < IDLE_SECONDS * 5:
        statuses.append(code(client, mail, passive=True))
        if statuses[-1] == 423:
            break
        time.sleep(1)
    assert statuses[0] == 200, "a passive refresh is still served while the vault is open"
    assert statuses[-1] == 423, f"passive polling every second kept the vault open: {statuses}"
    assert set(statuses[:-1]) == {200}
    assert client.call("/v1/status")[1]["locked"] is True
    assert "vault locked (idle for 0.1 min)" in short_idle.log()


def test_a_request_someone_asked_for_resets_the_idle_timer(short_idle):
    client = short_idle.paired_client()
    mail = short_idle.ids["mail"]
    started = time.monotonic()
    while time.monotonic() - started < IDLE_SECONDS * 2:  # twice the idle time, active throughout
        assert code(client, mail) == 200
        assert client.call("/v1/entries", {"passive": False})[0] == 200
        time.sleep(1)
    # once the activity stops, the vault locks (seen through passive polls, which do not reset it)
    deadline = time.monotonic() + IDLE_SECONDS * 5
    while code(client, mail, passive=True) == 200 and time.monotonic() < deadline:
        time.sleep(1)
    assert client.call("/v1/status")[1]["locked"] is True


def test_passive_must_be_a_boolean(short_idle):
    client = short_idle.paired_client()
    status, body = client.call("/v1/code", {"entry_id": short_idle.ids["mail"], "passive": "yes"})
    assert status == 400 and "passive" in body["message"]
