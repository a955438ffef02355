"""Flip bytes of a small vault file, one at a time: each flip is detected (a UserError) or harmless
(exactly the original results), never a different secret, code or entry.

Which bytes: every byte SQLite gives a meaning to (the 100-byte file header, every page header and
cell-pointer array, every cell: each record of every table and index, and any page that is not a
b-tree page), and every UNALLOCATED_STEP-th byte of the unallocated gaps inside b-tree pages (zeros:
secure_delete) plus both ends of each gap. The gaps are about 7/8 of the file and all alike; the
choice is fixed, so a failure names the same offset on every run.

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
UNALLOCATED_STEP = 32
BTREE_HEADER = {2: 12, 5: 12, 10: 8, 13: 8}  # page type -> header size (interior pages have 12)
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


def offsets_to_flip(data: bytes) -> tuple[list[int], int]:
    """(offsets, how many unallocated bytes were skipped): see the module docstring."""
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    assert page_size >= 512 and len(data) % page_size == 0, "not an SQLite file"
    chosen: list[int] = []
    skipped = 0
    for base in range(0, len(data), page_size):
        head = base + (100 if base == 0 else 0)
        header_size = BTREE_HEADER.get(data[head])
        gap = (base, base)  # a page that is not a b-tree page is flipped whole
        if header_size is not None:
            cells = int.from_bytes(data[head + 3 : head + 5], "big")
            content = int.from_bytes(data[head + 5 : head + 7], "big") or 65536
            gap = (head + header_size + 2 * cells, base + content)
        for offset in range(base, base + page_size):
            inside = gap[0] <= offset < gap[1]
            if (not inside or (offset - gap[0]) % UNALLOCATED_STEP == 0
                    or offset == gap[1] - 1):
                chosen.append(offset)
            else:
                skipped += 1
    return chosen, skipped


def _check_range(offsets: list[int]) -> dict:
    out = {"detected": 0, "harmless": 0, "password_fallbacks": 0, "wrong": [], "crashed": []}
    copy = _WORKDIR / f"flip-{offsets[0]}.sqlite"
    for offset in offsets:
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
    offsets, skipped = offsets_to_flip(_ORIGINAL)
    assert set(range(100)) <= set(offsets) and len(offsets) + skipped == size
    assert skipped < size * 0.9 and len(offsets) > 4000  # the records are all in (a sanity check)
    chunks = [offsets[i::WORKERS] for i in range(WORKERS)]
    started = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_check_range, chunks))
    elapsed = time.perf_counter() - started

    total = {k: sum(r[k] for r in results) for k in ("detected", "harmless", "password_fallbacks")}
    wrong = [o for r in results for o in r["wrong"]]
    crashed = [c for r in results for c in r["crashed"]]
    with capsys.disabled():
        print(
            f"\nbyte flips: {len(offsets)} of {size} offsets in {elapsed:.1f} s: "
            f"{total['detected']} detected, "
            f"{total['harmless']} harmless ({total['password_fallbacks']} of them unlocked by "
            f"password after the keyring slot broke), {len(wrong)} wrong, {len(crashed)} crashed"
        )
    assert crashed == [], f"non-UserError exceptions at {crashed[:10]}"
    assert wrong == [], f"flips giving different results at offsets {wrong[:20]}"
    assert total["detected"] + total["harmless"] == len(offsets)
    assert total["detected"] > 0 and total["harmless"] > 0
    assert keyring.get_keyring() is memory_keyring
