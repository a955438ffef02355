"""Issue 10 item 6: whatever `otp set --force` accepts (a 40-bit secret, 4- and 5-digit codes),
`export` writes and `import` reads back; an entry that cannot be represented is skipped and listed
instead of aborting a long import, unless --strict."""

import base64
import hashlib
import hmac
import io
import json
import struct
import sys

import pytest

from companion.cli.entry import main
from companion.cli.transfer import refuse_unrepresentable
from companion.formats.plan import IMPORT, REFUSED, Row
from companion.formats.records import Item
from companion.otp import OtpParams, code
from companion.vault import Vault

pytestmark = pytest.mark.slow  # encrypted exports and 500-entry imports (make test-fast leaves it out)

MASTER = "master pw"
KEY40 = bytes.fromhex("0102030405")  # 40 bits: 8 base32 characters
SECRET40 = base64.b32encode(KEY40).decode()
TIMES = (59, 1_111_111_109, 2_000_000_000)


def ref_totp(key: bytes, at: int, digits: int, period: int = 30) -> str:
    digest = hmac.new(key, struct.pack(">Q", at // period), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


@pytest.fixture
def vault_path(tmp_path, monkeypatch):
    path = tmp_path / "vault.sqlite"
    Vault.create(path, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(path))
    monkeypatch.setenv("OTPC_PASSWORD", MASTER)
    monkeypatch.setenv("OTPC_SOCKET", str(tmp_path / "no-companion.sock"))
    for var in ("OTPC_IMPORT_PASSWORD", "OTPC_EXPORT_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return path


def run(monkeypatch, capsys, *args, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def codes(path) -> dict:
    v = Vault.open(path)
    v.unlock(MASTER)
    try:  # from the stored params (taking HOTP codes through the vault would advance them)
        params = {e.title: v.otp_params(e.id, reason="test") for e in v.entries()}
        return {title: ([code(p, t) for t in TIMES], p.counter) for title, p in params.items()}
    finally:
        v.close()


def fresh(tmp_path, monkeypatch, name="fresh.sqlite"):
    path = tmp_path / name
    Vault.create(path, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(path))
    return path


def test_otp_set_short_codes_need_force(vault_path, monkeypatch, capsys):
    assert run(monkeypatch, capsys, "customer", "add", "C")[0] == 0
    assert run(monkeypatch, capsys, "entry", "add", "--customer", "C", "--title", "Four")[0] == 0
    code, _, err = run(monkeypatch, capsys, "otp", "set", "C/Four", "--digits", "4",
                       stdin="JBSWY3DPEHPK3PXP\n")
    assert code == 1 and err.count("\n") == 1 and "4-digit codes are easy to guess" in err
    code, _, err = run(monkeypatch, capsys, "otp", "set", "C/Four", "--digits", "3", "--force",
                       stdin="JBSWY3DPEHPK3PXP\n")
    assert code == 1 and "digits must be 4 to 10" in err
    code, _, err = run(monkeypatch, capsys, "otp", "set", "C/Four", "--digits", "4", "--force",
                       stdin="JBSWY3DPEHPK3PXP\n")
    assert code == 0, err
    key = base64.b32decode("JBSWY3DPEHPK3PXP")
    assert codes(vault_path)["Four"] == ([ref_totp(key, t, 4) for t in TIMES], 0)


def forced_entries(monkeypatch, capsys):
    """A 40-bit secret with 5-digit codes and a 40-bit HOTP with 4 digits, as otp set --force
    takes them."""
    assert run(monkeypatch, capsys, "customer", "add", "C")[0] == 0
    for title, extra in (("Five", ["--digits", "5"]),
                         ("Four", ["--digits", "4", "--type", "hotp", "--counter", "7"])):
        assert run(monkeypatch, capsys, "entry", "add", "--customer", "C", "--title", title)[0] == 0
        code, _, err = run(monkeypatch, capsys, "otp", "set", f"C/{title}", *extra, "--force",
                           stdin=SECRET40 + "\n")
        assert code == 0, err


@pytest.mark.parametrize("mode", ["--encrypted", "--plain"])
def test_own_export_restores_what_force_accepted_without_force(vault_path, tmp_path,
                                                               monkeypatch, capsys, mode):
    forced_entries(monkeypatch, capsys)
    expected = codes(vault_path)
    assert expected["Five"] == ([ref_totp(KEY40, t, 5) for t in TIMES], 0)
    assert expected["Four"] == ([ref_totp(KEY40, 7 * 30, 4)] * 3, 7)  # HOTP 7 = TOTP at 7 × 30 s
    out = tmp_path / "backup.json"
    monkeypatch.setenv("OTPC_EXPORT_PASSWORD", "export pw")
    assert run(monkeypatch, capsys, "export", "--format", "json", mode, "-o", str(out))[0] == 0
    other = fresh(tmp_path, monkeypatch)
    monkeypatch.setenv("OTPC_IMPORT_PASSWORD", "export pw")
    code, _, err = run(monkeypatch, capsys, "import", str(out))
    assert code == 0, err
    assert codes(other) == expected


def test_other_formats_list_short_codes_and_restore_them_with_force(vault_path, tmp_path,
                                                                   monkeypatch, capsys):
    forced_entries(monkeypatch, capsys)
    expected = codes(vault_path)
    out = tmp_path / "uris.txt"
    assert run(monkeypatch, capsys, "export", "--format", "otpauth", "-o", str(out))[0] == 0
    other = fresh(tmp_path, monkeypatch)
    code, _, err = run(monkeypatch, capsys, "import", "--json", str(out))
    assert code == 1 and "nothing was imported" in err  # every entry refused: nothing to do
    code, stdout, err = run(monkeypatch, capsys, "import", "--force", "--json", str(out))
    assert code == 0, err
    assert json.loads(stdout)["imported"] == 2
    assert codes(other) == expected


def test_one_bad_entry_of_500_is_listed_not_fatal_unless_strict(vault_path, tmp_path,
                                                                monkeypatch, capsys):
    lines = [f"otpauth://totp/Svc{i}:u{i}?secret={base64.b32encode(bytes([i % 256]) * 20).decode()}"
             f"&issuer=Svc{i}" for i in range(500)]
    lines[250] = lines[250].replace("&issuer", "&digits=11&issuer")
    f = tmp_path / "many.txt"
    f.write_text("\n".join(lines))
    code, _, err = run(monkeypatch, capsys, "import", "--strict", str(f))
    assert code == 1 and "--strict" in err and "#251" in err
    assert codes(vault_path) == {}
    code, out, err = run(monkeypatch, capsys, "import", str(f))
    assert code == 0, err
    assert "refused: #251 Svc250:u250: otpauth URI: digits must be 4 to 10" in out
    assert "imported 499" in out and len(codes(vault_path)) == 499


def test_rows_the_vault_would_refuse_become_refused_before_writing():
    """The safety net under the parsers: whatever the vault's own checks refuse (here an OTP
    no parser would build, and a title the vault rejects) is refused and listed up front, so the
    one transaction never aborts half-way."""
    bad_otp = OtpParams(secret=SECRET40, digits=3)
    good = Item(number=1, label="ok", title="Ok", otp=OtpParams(secret=SECRET40 * 2))
    rows = [Row(Item(number=2, label="x", title="X", otp=bad_otp), IMPORT, customer="C", title="X"),
            Row(good, IMPORT, customer="C", title="Ok"),
            Row(Item(number=3, label="y"), IMPORT, customer="C", title="a\x00b")]
    checked = refuse_unrepresentable(rows)
    assert [r.status for r in checked] == [REFUSED, IMPORT, REFUSED]
    assert "digits must be 4 to 10" in checked[0].reason
    assert "control characters" in checked[2].reason
