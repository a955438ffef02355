"""Shared by the companion benches: a temp vault with N entries and a real `otpc serve` subprocess
(tests/harness/, the same harness the tests use)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from harness.companion_process import RunningCompanion  # noqa: E402
from harness.ports import free_port  # noqa: E402, F401  (the benches' free port)

PASSWORD = "bench master password"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_vault(path: Path, entries: int) -> list[str]:
    from companion.otp import OtpParams
    from companion.vault import Vault

    vault = Vault.create(path, PASSWORD, kdf_ms=1)
    ids = []
    with vault.batch():
        customers = [vault.add_customer(f"Customer {i:03d}").id for i in range(100)]
        for i in range(entries):
            e = vault.add_entry(customers[i % 100], f"Entry {i:05d}", urls=[f"https://site{i}.example"])
            vault.set_otp(e.id, OtpParams(secret=SECRET))
            ids.append(e.id)
    vault.close()
    return ids


def start(vault: Path, port: int) -> RunningCompanion:
    """A real `otpc serve` on `port`, unlocked, with its log beside the vault (the test harness)."""
    running = RunningCompanion(vault, port, vault.with_name(vault.name + ".log"), ids={})
    running.start(password=PASSWORD)
    return running


def stop(running: RunningCompanion) -> None:
    running.stop()
