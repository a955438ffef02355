"""Issue 10 item 3: `otpc code -c` copies the code to a real clipboard (Debian's xclip on a headless
Xvfb display, both installed by `make install-test`), returns at once, and a detached process clears
the clipboard after OTPC_CLIP_TIME seconds only if it still holds the code. `--watch` in a pipe
writes one line per code as each comes up."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from cli_harness import OTPC, one_line_error

pytestmark = pytest.mark.slow  # Xvfb, xclip and detached clearers

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(scope="module")
def display():
    """A private X display (Xvfb picks a free number and tells it through -displayfd)."""
    xvfb = shutil.which("Xvfb")
    assert xvfb and shutil.which("xclip"), "make install-test installs xvfb and xclip"
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0",
                             "64x64x8"], pass_fds=(write_end,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write_end)
    number = b""
    ready, _, _ = select.select([read_end], [], [], 30)
    assert ready, "Xvfb did not start"
    while not number.endswith(b"\n"):
        chunk = os.read(read_end, 16)
        if not chunk:
            break
        number += chunk
    os.close(read_end)
    yield f":{number.decode().strip()}"
    proc.terminate()
    proc.wait(10)


def xclip(display: str, text: str | None = None) -> str:
    """The clipboard through xclip itself (what another program on the desktop would see)."""
    env = {**os.environ, "DISPLAY": display}
    if text is None:
        done = subprocess.run(["xclip", "-selection", "clipboard", "-out"], env=env,
                              capture_output=True, text=True, timeout=10)
        return done.stdout if done.returncode == 0 else ""
    subprocess.run(["xclip", "-selection", "clipboard", "-in"], env=env, input=text.encode(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=True)
    return text


def clearers(display: str) -> list[int]:
    """Pids of the detached clearers started for this display."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"companion.cli.clipboard" in cmdline and f"DISPLAY={display}".encode() in environ:
            found.append(int(proc.name))
    return found


def wait_gone(pids: list[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while any(Path(f"/proc/{p}").exists() for p in pids):
        assert time.monotonic() < deadline, "the clearer did not finish"
        time.sleep(0.1)


@pytest.fixture
def entry(otpc):
    otpc.ok("customer", "add", "Acme")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "Mail")
    otpc.ok("otp", "set", "Acme/Mail", input=SECRET + "\n")
    return otpc


def test_copy_then_cleared_when_unchanged(entry, display):
    xclip(display, "before")
    r = entry.run("code", "Acme/Mail", "-c", env={"DISPLAY": display, "OTPC_CLIP_TIME": "2"})
    assert r.code == 0, r.err
    held = xclip(display)
    assert re.fullmatch(r"\d{6}", held), held
    assert held not in r.out and "cleared in 2 s" in r.out
    pids = clearers(display)
    assert pids, "the clearing runs detached, after otpc returned"
    for pid in pids:  # the code travels on stdin, never in the process arguments
        assert held.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    wait_gone(pids)
    assert xclip(display) == ""


def test_copied_over_is_left_alone(entry, display):
    r = entry.run("code", "Acme/Mail", "--copy", env={"DISPLAY": display, "OTPC_CLIP_TIME": "1"})
    assert r.code == 0, r.err
    pids = clearers(display)
    xclip(display, "the user's own text")
    wait_gone(pids)
    assert xclip(display) == "the user's own text"


def test_no_graphical_session_is_one_line(entry):
    r = entry.run("code", "Acme/Mail", "-c", env={"DISPLAY": None, "WAYLAND_DISPLAY": None})
    assert "no clipboard here" in one_line_error(r) and r.code == 1
    assert r.out == ""


def test_no_clipboard_tool_is_one_line(entry, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    r = entry.run("code", "Acme/Mail", "-c", env={"DISPLAY": ":9", "PATH": str(empty)})
    assert "install wl-clipboard" in one_line_error(r)


def test_unreachable_display_is_one_line(entry):
    r = entry.run("code", "Acme/Mail", "-c", env={"DISPLAY": ":4242"})
    assert "xclip could not use the clipboard" in one_line_error(r)


def test_copy_and_json_do_not_go_together(entry):
    assert "choose one of" in one_line_error(entry.run("code", "Acme/Mail", "-c", "--json"))


def test_watch_in_a_pipe_writes_a_line_per_code(otpc):
    """Two lines arrive while otpc still runs: line-buffered, not held back until exit."""
    otpc.ok("customer", "add", "Acme")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "Fast")
    otpc.ok("otp", "set", "Acme/Fast", "--period", "2", input=SECRET + "\n")
    env = {k: v for k, v in otpc.env.items() if v is not None}
    proc = subprocess.Popen([str(OTPC), "--vault", str(otpc.vault), "code", "Acme/Fast", "--watch"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        lines: list[bytes] = []
        buffered = b""
        deadline = time.monotonic() + 30  # generous on a loaded machine; the period is 2 s
        while len(lines) < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 100)
                assert chunk, proc.stderr.read().decode()
                buffered += chunk
                *done, buffered = buffered.split(b"\n")
                lines.extend(done)
        assert len(lines) >= 2, lines
        assert proc.poll() is None  # still running: the lines were not flushed by exiting
        assert all(re.fullmatch(rb"\d{6}", line) for line in lines), lines
        assert lines[0] != lines[1]
    finally:
        proc.terminate()
        proc.wait(10)
