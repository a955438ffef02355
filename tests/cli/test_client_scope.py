"""A client's scope is changed by one implementation (ClientStore.rescope) whether a companion runs
(control op "scope") or not (the CLI edits the clients file): what is not given stays as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from companion_harness import PASSWORD, _companion  # noqa: E402

from companion.server.clients import ClientStore  # noqa: E402

pytestmark = pytest.mark.slow  # a companion and otpc subprocesses (make test-fast leaves it out)


def otpc(vault: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    env["OTPC_PASSWORD"] = PASSWORD
    return subprocess.run([sys.executable, "-m", "companion.cli.entry", "--vault", str(vault), *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_scope_change_with_and_without_a_companion_keeps_what_is_not_given(tmp_path):
    running = _companion(tmp_path)
    running.start()
    try:
        client = running.paired_client()
        done = otpc(running.vault, "clients", "scope", client.client_id[:8], "--read-only",
                    "--customers", "Globex")
        assert done.returncode == 0, done.stderr
    finally:
        running.stop()
    scope = ClientStore(running.vault).find(client.client_id).scope
    assert (scope.write, scope.customers) == (False, (running.ids["globex"],))
    # No companion now: the CLI changes the file itself; --read-only not given stays read-only.
    done = otpc(running.vault, "clients", "scope", client.client_id[:8], "--all-customers")
    assert done.returncode == 0, done.stderr
    scope = ClientStore(running.vault).find(client.client_id).scope
    assert (scope.write, scope.customers) == (False, None)
    done = otpc(running.vault, "clients", "scope", client.client_id[:8], "--read-write")
    scope = ClientStore(running.vault).find(client.client_id).scope
    assert (scope.write, scope.customers) == (True, None)
