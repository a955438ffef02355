"""`otpc code` answered by a running companion loads almost nothing beyond a bare interpreter (the
start-up goal of issue 10: `bench/cli_startup.py` measures it; this guards what it depends on). Each
module named here cost the fast path milliseconds once: `re` (pip's generated script, json), `json`,
`socket` and `enum` (the socket module's enums), `platformdirs` (the default vault path), and
everything click, rich or the vault would bring."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from harness.cli_runner import OTPC

pytestmark = pytest.mark.slow  # each test starts a real companion

HEAVY_MODULES = {"re", "json", "socket", "enum", "pathlib", "typing", "hashlib", "companion.errors",
                 "companion.vault"}
HEAVY_PACKAGES = {"platformdirs", "click", "rich", "cryptography", "pyotp", "aiohttp"}


def imported(cmd: list[str], env: dict) -> tuple[subprocess.CompletedProcess, set[str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True,
                          env=env, timeout=60)
    names = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "cumulative" not in line}
    return done, names


def test_code_through_the_companion_imports_nothing_heavy(served, tmp_path):
    env = {k: v for k, v in served.env.items() if k != "OTPC_PASSWORD"}
    _, bare = imported(["-c", "pass"], env)
    # With --vault, and with the default vault (the XDG data dir: no platformdirs import for it).
    (tmp_path / "xdg").mkdir()
    os.symlink(served.vault.parent, tmp_path / "xdg" / "otpc")
    runs = [([str(OTPC), "--vault", str(served.vault), "code", "Acme/Mail"], env),
            ([str(OTPC), "code", "mail"], {**env, "XDG_DATA_HOME": str(tmp_path / "xdg")})]
    for cmd, run_env in runs:
        done, names = imported(cmd, run_env)
        assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr[-500:]
        heavy = {n for n in names - bare if n in HEAVY_MODULES or n.split(".")[0] in HEAVY_PACKAGES}
        assert not heavy, sorted(heavy)


def test_code_json_and_errors_still_take_the_fast_path(served):
    env = {"OTPC_PASSWORD": None}
    r = served.run("code", "Acme/Mail", "--json", "--at", "59", env=env)
    assert r.code == 0 and '"code": "94287082"' in r.out, r.err
    r = served.run("code", "nothing-like-it", env=env)
    assert r.code == 2 and r.err.startswith("otpc: error: no entry"), r.err
