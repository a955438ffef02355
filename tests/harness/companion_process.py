"""The companion process for tests and benches: a temp vault (kdf_ms=1) and a real `otpc serve` subprocess on a
real free port, with its stderr captured so tests can check what the logs hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import protoclient as pc
from harness.ports import free_port

PASSWORD = "test master password 1"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
HOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
ENTRY_PASSWORD = "hunter2-entry-password"


def make_vault(path: Path) -> dict:
    """A vault with two customers; returns the ids tests need."""
    from companion.otp import OtpParams
    from companion.vault import Vault

    vault = Vault.create(path, PASSWORD, kdf_ms=1)
    vault.add_customer("Acme")
    vault.add_customer("Globex")
    mail = vault.add_entry(
        "Acme", "Mail", username="tech", password=ENTRY_PASSWORD, urls=["https://mail.acme.com"]
    )
    vault.set_otp(mail.id, OtpParams(secret=SECRET, issuer="Acme", account="tech"))
    hotp = vault.add_entry("Acme", "VPN", urls=["vpn.acme.com"])
    vault.set_otp(hotp.id, OtpParams(type="hotp", secret=HOTP_SECRET, counter=5))
    other = vault.add_entry("Globex", "Portal", urls=["https://portal.globex.example"])
    vault.set_otp(other.id, OtpParams(secret=SECRET))
    ids = {
        "mail": mail.id,
        "vpn": hotp.id,
        "portal": other.id,
        "acme": vault.customer("Acme").id,
        "globex": vault.customer("Globex").id,
    }
    vault.close()
    return ids


@dataclass
class RunningCompanion:
    vault: Path
    port: int
    log_path: Path
    ids: dict
    proc: subprocess.Popen | None = None
    pairing_codes: list[str] = field(default_factory=list)

    def start(self, password: str | None = PASSWORD, extra_env: dict | None = None) -> None:
        env = {**os.environ, **(extra_env or {})}
        env.pop("OTPC_PASSWORD", None)
        if password is not None:
            env["OTPC_PASSWORD"] = password
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "companion.cli.entry", "--vault", str(self.vault), "serve",
             "--port", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.log_path, "ab"), env=env,
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"companion exited: {self.log()}")
            if "listening on" in self.log() and self.control({"op": "status"}):
                return
            time.sleep(0.05)
        raise RuntimeError(f"companion did not start: {self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def control(self, request: dict) -> dict | None:
        from companion.cli.control import ask

        return ask(self.vault, request)

    def open_pairing(self, **request) -> str:
        reply = self.control({"op": "pair", **request})
        assert reply["ok"], reply
        self.pairing_codes.append(reply["code"])
        return reply["code"]

    def paired_client(self, origin: str = pc.OUR_CHROME_ORIGIN, **scope) -> pc.ProtoClient:
        client = pc.ProtoClient(self.port, origin=origin)
        client.pair(self.open_pairing(**scope))
        return client


def seeded(tmp_path: Path) -> RunningCompanion:
    """A not yet started companion over the two-customer vault of make_vault(), on a free port."""
    return _companion(tmp_path)


def _companion(tmp_path: Path) -> RunningCompanion:
    vault = tmp_path / "vault.sqlite"
    ids = make_vault(vault)
    return RunningCompanion(vault, free_port(), tmp_path / "companion.log", ids)
