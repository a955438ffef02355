"""A throwaway PostgreSQL cluster for the team tests: Debian's initdb + pg_ctl in a temp dir.

As root (CI: `.ci/run` runs `make test` as root, and initdb refuses root) the cluster runs as the
`postgres` system user; otherwise as whoever runs the tests. The superuser reaches it over a Unix
socket in the temp dir (trust, local only); members log in over TCP 127.0.0.1 with SCRAM.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="otpc-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.bin = _bindir()

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd="/")

    def start(self) -> Cluster:
        os.chmod(self.root, 0o700)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
        (self.data / "pg_hba.conf").write_text(
            "local all postgres trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-w", "-l", self.root / "log", "start",
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off")
        return self

    @property
    def super_url(self) -> str:
        return f"host={self.root} port={self.port} user=postgres dbname=postgres"

    def member_url(self, role: str, password: str) -> str:
        return (f"host=127.0.0.1 port={self.port} user={role} password={password}"
                " dbname=postgres")

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
