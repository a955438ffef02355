"""Round trips over every format of the registry that we both write and read (a two-way format added
later is covered without touching this file): vault → `otpc export` → `otpc import` into a fresh
vault → the same codes at several times and the same HOTP counters. An account the format cannot
hold must be named by the export as skipped; none may vanish silently or change its codes."""

import base64
import io
import sys

import pytest

from companion.cli.entry import main
from companion.formats import registry
from companion.otp import OtpParams, code
from companion.vault import Vault

MASTER = "master pw"
TIMES = (59, 1_111_111_109, 1_700_000_015, 2_000_000_000)
SECRETS = [base64.b32encode(bytes([n]) * size).decode() for n, size in
           ((1, 20), (2, 32), (3, 20), (4, 64), (5, 5), (6, 20))]

ACCOUNTS = [  # (customer, title, params): the kinds of OTP a vault holds, short ones included
    ("Alpha", "Mail", OtpParams(secret=SECRETS[0], digits=8, issuer="Mail Co", account="a1")),
    ("Alpha", "Bank", OtpParams(type="hotp", secret=SECRETS[2], counter=7, account="a2")),
    ("Beta", "Steam", OtpParams(type="steam", secret=SECRETS[5], digits=5, account="b1")),
    ("Beta", "Cloud", OtpParams(secret=SECRETS[1], algorithm="SHA256", digits=7, period=60,
                                issuer="Cloud", account="b2")),
    ("Beta", "Vpn", OtpParams(secret=SECRETS[3], algorithm="SHA512", issuer="Vpn", account="b3")),
    ("Gamma", "Token", OtpParams(secret=SECRETS[4], digits=5, account="g1")),  # 40-bit, 5 digits
]

TWO_WAY = [f.name for f in registry.FORMATS if f.parse and f.dump]
# Every two-way format plain, and encrypted too where we write an encrypted form of it.
CASES = [(name, False) for name in TWO_WAY] + [
    (name, True) for name in TWO_WAY if "write" in registry.get(name).encrypted
]


def run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    capsys.readouterr()
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def by_account(path) -> dict:
    v = Vault.open(path)
    v.unlock(MASTER)
    try:
        out = {}
        for e in v.entries():
            if e.has_otp:
                p = v.otp_params(e.id, reason="test")
                out[p.account] = ([code(p, t) for t in TIMES], p.counter)
        return out
    finally:
        v.close()


@pytest.fixture
def filled(tmp_path, monkeypatch):
    path = tmp_path / "source.sqlite"
    v = Vault.create(path, MASTER, kdf_ms=1)
    for name in ("Alpha", "Beta", "Gamma"):
        v.add_customer(name)
    for customer, title, params in ACCOUNTS:
        v.set_otp(v.add_entry(customer, title, username=params.account).id, params)
    v.close()
    monkeypatch.setenv("OTPC_PASSWORD", MASTER)
    monkeypatch.setenv("OTPC_SOCKET", str(tmp_path / "no-companion.sock"))
    monkeypatch.setenv("OTPC_EXPORT_PASSWORD", "export pw")
    monkeypatch.setenv("OTPC_IMPORT_PASSWORD", "export pw")
    return path


def test_the_registry_has_two_way_formats():
    assert {"otpauth", "aegis", "otpc-json", "google-authenticator", "bitwarden-json"} <= set(TWO_WAY)


@pytest.mark.parametrize("fmt,encrypted", CASES,
                         ids=[f"{n}-{'encrypted' if e else 'plain'}" for n, e in CASES])
def test_round_trip_keeps_every_code(filled, tmp_path, monkeypatch, capsys, fmt, encrypted):
    before = by_account(filled)
    assert len(before) == len(ACCOUNTS)
    exported = tmp_path / f"export-{fmt}.out"
    monkeypatch.setenv("OTPC_VAULT", str(filled))
    status, _, err = run(monkeypatch, capsys, "export", "--format", fmt,
                         "--encrypted" if encrypted else "--plain", "-o", str(exported))
    assert status == 0, err
    target = tmp_path / "target.sqlite"
    Vault.create(target, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(target))
    status, _, import_err = run(monkeypatch, capsys, "import", "--force", str(exported))
    assert status == 0, import_err
    after = by_account(target)
    for account, expected in before.items():
        if account in after:
            assert after[account] == expected, (fmt, account)
        else:  # left out: the export must have said so, naming the entry
            title = next(t for _c, t, p in ACCOUNTS if p.account == account)
            assert "skipped" in err and title in err, (fmt, account, err)
    assert set(after) <= set(before)
