"""Flip every byte of a small vault file, one at a time: each flip is detected (a UserError) or
harmless (exactly the original results), never a different secret, code or entry.

Each copy is opened, unlocked through an OS-keyring slot (an in-memory keyring: no Argon2id per
flip; when a flip breaks that slot, through the password as a user would), and read completely:
customers, entries, the audit log, and every entry's code at a fixed time.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import keyring
import pytest
from vault_helpers import AT, PASSWORD, hotp, totp

from companion.errors import UserError
from companion.vault import Vault

WORKERS = 2
_ORIGINAL: bytes = b""
_EXPECTED: object = None
_WORKDIR: Path = Path()


def forget_what_this_machine_saw(path: Path) -> None:
    """Every copy here is the same vault at the same generation, and reading one takes an HOTP
    code (a new generation): without this, every next copy would be refused as a rollback
    (tests/vault/test_rollback.py tests that). This test is about damaged bytes, so each copy is
    read as by a machine that never saw the vault."""
    shutil.rmtree(os.environ["OTPC_STATE_DIR"], ignore_errors=True)
    for service, account in list(keyring.get_keyring().items):
        if account.endswith("-seen"):
            del keyring.get_keyring().items[(service, account)]


def read_all(path: Path):
    forget_what_this_machine_saw(path)
    v = Vault.open(path)
    try:
        via = "keyring"
        if not v.unlock_with_keyring():
            via = "password"
            v.unlock(PASSWORD)
        customers = v.customers()
        events = [
            (a.seq, a.ts, a.action, a.actor, a.entry_id, a.detail, a.extra) for a in v.audit()
        ]
        entries = v.entries()
        codes = []
        for e in entries:
            r = v.code(e.id, at=AT)
            codes.append((e.id, r.code, r.type, r.counter, r.period, r.remaining, r.valid_until))
        return (customers, entries, events, codes), via
    finally:
        v.close()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def _check_range(bounds: tuple[int, int]) -> dict:
    start, stop = bounds
    out = {"detected": 0, "harmless": 0, "password_fallbacks": 0, "wrong": [], "crashed": []}
    copy = _WORKDIR / f"flip-{start}.sqlite"
    for offset in range(start, stop):
        data = bytearray(_ORIGINAL)
        data[offset] ^= 0xFF
        copy.write_bytes(data)
        try:
            got, via = read_all(copy)
        except UserError:
            out["detected"] += 1
        except Exception as exc:  # any other exception type is a failure of the vault code
            out["crashed"].append((offset, type(exc).__name__, str(exc)[:120]))
        else:
            if got == _EXPECTED:
                out["harmless"] += 1
                out["password_fallbacks"] += via == "password"
            else:
                out["wrong"].append(offset)
        finally:
            _remove(copy)
    return out


@pytest.fixture
def flip_dir(tmp_path):
    # Copies go to tmpfs when there is one: every flip commits (audit, HOTP counter) with fsync.
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else str(tmp_path)
    path = Path(tempfile.mkdtemp(prefix="otpc-flip-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_every_byte_flip_is_detected_or_harmless(
    vault_path, flip_dir, memory_keyring, capsys, monkeypatch
):
    global _ORIGINAL, _EXPECTED, _WORKDIR
    monkeypatch.setenv("OTPC_STATE_DIR", str(flip_dir / "state"))  # tmpfs too: written per flip
    v = Vault.create(vault_path, PASSWORD, kdf_ms=1)
    v.enable_keyring()
    v.add_customer("Acme", notes="HQ")
    mail = v.add_entry("Acme", "Mail", username="bob", password="pw1", urls=["https://acme.com"])
    vpn = v.add_entry("Acme", "VPN", username="alice", password="pw2", tags=["net"])
    v.set_otp(mail.id, totp(issuer="Acme", account="bob"))
    v.set_otp(vpn.id, hotp(counter=3))
    v.code(mail.id, at=AT)
    v.close()
    wal = Path(str(vault_path) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # everything is in the main file
    _ORIGINAL = vault_path.read_bytes()
    _WORKDIR = flip_dir
    baseline = flip_dir / "baseline.sqlite"
    baseline.write_bytes(_ORIGINAL)
    _EXPECTED, via = read_all(baseline)
    _remove(baseline)
    assert via == "keyring" and len(_EXPECTED[1]) == 2 and _EXPECTED[3][1][3] == 3

    size = len(_ORIGINAL)
    step = -(-size // WORKERS)
    ranges = [(i, min(i + step, size)) for i in range(0, size, step)]
    started = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_check_range, ranges))
    elapsed = time.perf_counter() - started

    total = {k: sum(r[k] for r in results) for k in ("detected", "harmless", "password_fallbacks")}
    wrong = [o for r in results for o in r["wrong"]]
    crashed = [c for r in results for c in r["crashed"]]
    with capsys.disabled():
        print(
            f"\nbyte flips: {size} offsets in {elapsed:.1f} s: {total['detected']} detected, "
            f"{total['harmless']} harmless ({total['password_fallbacks']} of them unlocked by "
            f"password after the keyring slot broke), {len(wrong)} wrong, {len(crashed)} crashed"
        )
    assert crashed == [], f"non-UserError exceptions at {crashed[:10]}"
    assert wrong == [], f"flips giving different results at offsets {wrong[:20]}"
    assert total["detected"] + total["harmless"] == size
    assert total["detected"] > 0 and total["harmless"] > 0
    assert keyring.get_keyring() is memory_keyring
