"""Issue 10 item 9: `otpc service install [--port N]` exits non-zero, with the service manager's own
reason, when systemd refuses. `systemctl` here is a stand-in script on PATH (the platform tool,
not our code), which records how it was called."""

from __future__ import annotations

import os

import pytest
from cli_harness import one_line_error

pytestmark = pytest.mark.slow  # otpc subprocesses


def fake_systemctl(tmp_path, *, exit_code: int, stderr: str = "") -> tuple[str, object]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "systemctl-calls"
    script = bin_dir / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        f"printf '%s\\n' '{stderr}' >&2\n"
        f"exit {exit_code}\n"
    )
    script.chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}", calls


def test_install_fails_with_systemds_reason(bare, tmp_path):
    path, calls = fake_systemctl(
        tmp_path, exit_code=1, stderr="Failed to connect to bus: No medium found"
    )
    r = bare.run("service", "install", env={"PATH": path, "XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    line = one_line_error(r)
    assert r.code == 1
    assert "systemctl --user daemon-reload" in line and "Failed to connect to bus" in line
    assert calls.read_text().splitlines() == ["--user daemon-reload"]  # stopped at the refusal
    assert (tmp_path / "cfg" / "systemd" / "user" / "otpc.service").exists()


def test_install_with_a_port_enables_the_unit(bare, tmp_path):
    path, calls = fake_systemctl(tmp_path, exit_code=0)
    cfg = tmp_path / "cfg"
    r = bare.run("service", "install", "--port", "17999", env={"PATH": path, "XDG_CONFIG_HOME": str(cfg)})
    assert r.code == 0, r.err
    assert calls.read_text().splitlines() == ["--user daemon-reload", "--user enable --now otpc.service"]
    unit = (cfg / "systemd" / "user" / "otpc.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith("serve --port 17999")


def test_install_without_systemctl_says_so(bare, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    r = bare.run("service", "install", env={"PATH": str(empty), "XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    line = one_line_error(r)
    assert "systemctl not found" in line and "otpc serve" in line


def test_uninstall_refused_keeps_the_unit(bare, tmp_path):
    cfg = tmp_path / "cfg"
    ok_path, _ = fake_systemctl(tmp_path, exit_code=0)
    assert bare.run("service", "install", env={"PATH": ok_path, "XDG_CONFIG_HOME": str(cfg)}).code == 0
    (tmp_path / "bin" / "systemctl").unlink()
    bad_path, _ = fake_systemctl(tmp_path, exit_code=5, stderr="Unit otpc.service not loaded.")
    r = bare.run("service", "uninstall", env={"PATH": bad_path, "XDG_CONFIG_HOME": str(cfg)})
    assert "Unit otpc.service not loaded." in one_line_error(r)
    assert (cfg / "systemd" / "user" / "otpc.service").exists()
