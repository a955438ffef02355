"""The CLI runner: the real `otpc`, in a subprocess (`.venv/bin/otpc`) where the process boundary
matters (exit codes, stderr, file modes, terminals), in-process through companion.cli.entry.main
where it adds nothing but time. Every test gets its own real vault file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from companion.cli.entry import main

OTPC = Path(sys.executable).with_name("otpc")
PASSWORD = "correct horse battery staple"


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    if "OTPC_STATE_DIR" in os.environ:  # the test session's own (tests/conftest.py), not ~/.local
        env["OTPC_STATE_DIR"] = os.environ["OTPC_STATE_DIR"]
    env.update(
        OTPC_PASSWORD=PASSWORD,
        # Deterministic: no OS keyring here, and no companion of anyone else's answering.
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        OTPC_SOCKET=str(tmp_path / "no-companion.sock"),
        COLUMNS="200",
    )
    return env


@dataclass
class Result:
    code: int
    out: str
    err: str


class Otpc:
    """`otpc --vault VAULT ...`, run either way."""

    def __init__(self, tmp_path: Path, monkeypatch, capsys):
        self.vault = tmp_path / "vaultdir" / "vault.sqlite"
        self.env = base_env(tmp_path)
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    def run(self, *args: str, input: str | None = None, env: dict | None = None) -> Result:
        """A real subprocess of the installed console script."""
        merged = {**self.env, **(env or {})}
        proc = subprocess.run(
            [str(OTPC), "--vault", str(self.vault), *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env={k: v for k, v in merged.items() if v is not None},
            timeout=60,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def __call__(self, *args: str, input: str = "", env: dict | None = None) -> Result:
        """In-process: companion.cli.entry.main with captured stdout/stderr and the given stdin."""
        mp = self._monkeypatch
        for key in [
            k for k in os.environ if k.startswith("OTPC_") or k == "PYTHON_KEYRING_BACKEND"
        ]:
            mp.delenv(key, raising=False)
        for key, value in {**self.env, **(env or {})}.items():
            if value is None:
                mp.delenv(key, raising=False)
            else:
                mp.setenv(key, value)
        mp.setattr(sys, "stdin", io.StringIO(input))
        self._capsys.readouterr()
        code = main(["--vault", str(self.vault), *args])
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def ok(self, *args: str, **kw) -> str:
        r = self(*args, **kw)
        assert r.code == 0, r.err
        return r.out


def one_line_error(r: Result) -> str:
    """Assert a user error: non-zero exit and exactly one line on stderr, no traceback."""
    assert r.code != 0
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("otpc: error: "), r.err
    assert "Traceback" not in r.err
    return lines[0]
