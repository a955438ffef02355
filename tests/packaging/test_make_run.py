"""Issue 10 item 10: after `make run`, the next command a user types in another terminal (`otpc pair`)
works. `make on-path` (run by `make run`) links otpc into ~/.local/bin when that folder is on PATH,
else prints the exact export line; `make install` shows pip's progress instead of -q silence."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # make and shells

ROOT = Path(__file__).resolve().parents[2]
OTPC = ROOT / ".venv" / "bin" / "otpc"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def make_on_path(home: Path, path: str) -> str:
    done = subprocess.run(["make", "-s", "on-path"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "HOME": str(home), "PATH": path})
    assert done.returncode == 0, done.stderr
    return done.stdout


def in_new_terminal(home: Path, path: str, prelude: str = "") -> subprocess.CompletedProcess:
    """What a user's next shell does: `otpc` found through PATH only."""
    return subprocess.run(["sh", "-c", f"{prelude}\notpc --version"], capture_output=True, text=True,
                          timeout=60, env={"HOME": str(home), "PATH": path}, cwd=home)


def test_links_into_local_bin_when_it_is_on_path(tmp_path):
    local_bin = tmp_path / ".local" / "bin"
    local_bin.mkdir(parents=True)
    path = f"{local_bin}:{SYSTEM_PATH}"
    assert in_new_terminal(tmp_path, path).returncode != 0  # before: no otpc
    out = make_on_path(tmp_path, path)
    assert "Linked" in out and (local_bin / "otpc").resolve() == OTPC.resolve()
    done = in_new_terminal(tmp_path, path)
    assert done.returncode == 0 and "otpc, version" in done.stdout
    assert "on your PATH" in make_on_path(tmp_path, path)  # a second run changes nothing


def test_prints_the_export_line_otherwise(tmp_path):
    out = make_on_path(tmp_path, SYSTEM_PATH)
    line = next(x.strip() for x in out.splitlines() if x.strip().startswith("export PATH="))
    assert not (tmp_path / ".local").exists()
    done = in_new_terminal(tmp_path, SYSTEM_PATH, prelude=line)
    assert done.returncode == 0 and "otpc, version" in done.stdout


def test_never_replaces_another_otpc(tmp_path):
    local_bin = tmp_path / ".local" / "bin"
    local_bin.mkdir(parents=True)
    other = local_bin / "otpc"
    other.write_text("#!/bin/sh\necho another otpc\n")
    out = make_on_path(tmp_path, f"{local_bin}:{SYSTEM_PATH}")
    assert "export PATH=" in out and other.read_text().endswith("another otpc\n")


def test_make_run_shows_install_progress():
    plan = subprocess.run(["make", "-n", "-B", "run"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60).stdout
    pip = next(line for line in plan.splitlines() if re.search(r"pip install .*-e \.", line))
    assert " -q" not in pip and "--progress-bar on" in pip
    # install, then the PATH step, then the companion
    assert plan.index("pip install") < plan.index("command -v otpc") < plan.index("otpc serve")
