"""Issue 9 #16 for the import plan: a file's text reaches the terminal escaped. An otpauth URI whose
issuer parameter carries OSC 52 (writes the terminal's clipboard) and differs from its label's
issuer makes the parser warn, quoting both; that warning is the plan table's Note column."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # otpc subprocesses on a terminal (make test-fast leaves it out)

OSC52 = "%1B%5D52%3Bc%3BaGVsbG8%3D%07"  # ESC ] 52 ; c ; base64("hello") BEL, percent-encoded
PASSWORD = "correct horse battery staple"


def otpc(vault, *args):
    env = {**os.environ, "OTPC_PASSWORD": PASSWORD}
    return subprocess.run([sys.executable, "-m", "companion.cli.entry", "--vault", str(vault), *args],
                          capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def test_the_import_plan_never_prints_a_control_sequence(tmp_path):
    vault = tmp_path / "v.sqlite"
    assert otpc(vault, "init", "--kdf-ms", "5").returncode == 0
    source = tmp_path / "uris.txt"
    source.write_text(
        f"otpauth://totp/Good:bob?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Evil{OSC52}\n"
        f"otpauth://totp/Bad{OSC52}:x?secret=!!!&issuer=Bad{OSC52}\n"
    )
    for args in (("--dry-run",), ()):
        done = otpc(vault, "import", str(source), *args)
        assert done.returncode == 0, done.stderr
        output = done.stdout + done.stderr
        assert "\x1b" not in output and "\x07" not in output
        assert "Import plan" in done.stdout and "differs from" in done.stdout.replace("\n", " ")
        assert "\\x1b]52" in done.stdout  # shown, escaped, not swallowed


def test_a_refused_import_names_the_entry_without_its_control_characters(tmp_path):
    vault = tmp_path / "v.sqlite"
    assert otpc(vault, "init", "--kdf-ms", "5").returncode == 0
    source = tmp_path / "uris.txt"
    source.write_text(f"otpauth://totp/Bad{OSC52}:x?secret=JBSWY3DP&algorithm=MD5{OSC52}\n")
    done = otpc(vault, "import", str(source))
    assert done.returncode == 1 and "nothing was imported" in done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "Traceback" not in done.stderr
