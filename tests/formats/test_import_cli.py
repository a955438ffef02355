"""`otpc import` / `otpc export` against a real vault file: duplicates, customers, all-or-nothing,
passwords from stdin, hostile files (in a real `otpc` subprocess: one line on stderr, vault
unchanged), and round trips export → import into an empty vault → identical codes."""

import base64
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from importgen import (
    B32_OTHER,
    B32_SHA1,
    B32_SHA256,
    OTHER,
    RFC4226_HOTP,
    RFC6238_AT_59,
    aegis_entry,
    aegis_file,
    otpauth,
    ref_steam,
    ref_totp,
    twofas_file,
    twofas_service,
)

from companion.cli.entry import main
from companion.formats.plan import IMPORT, Row
from companion.formats.records import Item
from companion.otp import OtpParams
from companion.vault import Vault

pytestmark = pytest.mark.slow  # otpc subprocesses per format

OTPC = str(Path(sys.executable).with_name("otpc"))
MASTER = "master pw"
T = 1_111_111_109


@pytest.fixture
def vault_path(tmp_path, monkeypatch):
    path = tmp_path / "vault.sqlite"
    Vault.create(path, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(path))
    monkeypatch.setenv("OTPC_PASSWORD", MASTER)
    for var in ("OTPC_IMPORT_PASSWORD", "OTPC_EXPORT_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return path


def run(args, monkeypatch, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    return main(list(args))


def opened(path) -> Vault:
    v = Vault.open(path)
    v.unlock(MASTER)
    return v


def state_of(path) -> tuple:
    """Everything an import could change (entries with their content, OTP params, customers)."""
    v = opened(path)
    try:
        entries = sorted(json.dumps(e.public(), sort_keys=True) + e.password for e in v.entries())
        otps = sorted(repr(p) for p in v.all_otp_params().values())
        customers = sorted((c.name, c.notes) for c in v.customers())
        return entries, otps, customers
    finally:
        v.close()


def test_import_places_customers_and_skips_duplicates(vault_path, tmp_path, monkeypatch, capsys):
    f = tmp_path / "list.txt"
    f.write_text("\n".join([
        otpauth("totp", "ACME:alice", B32_SHA1, digits=8),
        otpauth("hotp", "Bank:bob", B32_SHA1, counter=2),
        otpauth("steam", "Steam:carol", B32_OTHER),
        otpauth("totp", "ACME:alice", B32_SHA1, digits=8),  # duplicate inside the file
    ]))
    assert run(["import", str(f), "--customer", "Customer X"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "imported 3, skipped 1 duplicate(s), refused 0" in out
    v = opened(vault_path)
    assert [c.name for c in v.customers()] == ["Customer X"]
    by_title = {e.title: e for e in v.entries()}
    assert set(by_title) == {"ACME", "Bank", "Steam"}
    assert v.code("Customer X/ACME", at=59).code == RFC6238_AT_59["SHA1"]
    assert v.code("Customer X/Bank").code == RFC4226_HOTP[2]
    assert v.code("Customer X/Steam", at=T).code == ref_steam(OTHER, T)
    v.close()
    # the same file again: everything is a duplicate, nothing changes
    before = state_of(vault_path)
    assert run(["import", str(f)], monkeypatch) == 0
    assert "imported 0, skipped 4 duplicate(s)" in capsys.readouterr().out
    assert state_of(vault_path) == before


def test_dry_run_changes_nothing_and_json(vault_path, tmp_path, monkeypatch, capsys):
    f = tmp_path / "a.json"
    f.write_bytes(aegis_file([aegis_entry("totp", "ACME", "alice", B32_SHA1, groups=["g"])],
                             [("g", "Group A")]))
    before = state_of(vault_path)
    assert run(["import", str(f), "--dry-run", "--json"], monkeypatch) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["would_import"] == 1 and doc["imported"] == 0
    assert doc["items"][0]["customer"] == "Group A" and "secret" not in json.dumps(doc).lower()
    assert B32_SHA1 not in json.dumps(doc)
    assert state_of(vault_path) == before


def test_both_passwords_on_stdin_master_first(vault_path, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OTPC_PASSWORD")
    f = tmp_path / "enc.2fas"
    f.write_bytes(twofas_file([twofas_service("ACME", B32_SHA256, 4, account="a", digits=8,
                                              algorithm="SHA256")], 4, password="file pw"))
    stdin = f"{MASTER}\nfile pw\n"
    assert run(["--password-stdin", "import", str(f), "--file-password-stdin"], monkeypatch,
               stdin) == 0
    assert "imported 1" in capsys.readouterr().out
    v = opened(vault_path)
    assert v.code("Imported/ACME", at=59).code == RFC6238_AT_59["SHA256"]
    v.close()


def test_existing_title_gets_a_distinct_one(vault_path, tmp_path, monkeypatch):
    v = opened(vault_path)
    v.add_customer("Imported")
    v.add_entry("Imported", "ACME", username="someone")
    v.close()
    f = tmp_path / "l.txt"
    f.write_text(otpauth("totp", "ACME:alice", B32_SHA1) + "\n" + otpauth("totp", "ACME:bob", B32_SHA1))
    assert run(["import", str(f)], monkeypatch) == 0
    v = opened(vault_path)
    assert sorted(e.title for e in v.entries()) == ["ACME", "ACME (alice)", "ACME (bob)"]
    v.close()


def test_write_failure_half_way_rolls_everything_back(vault_path):
    from companion.cli.transfer import write_rows

    before = state_of(vault_path)
    rows = []
    for n in range(1, 11):
        params = OtpParams(secret=B32_SHA1, account=f"user{n}")
        item = Item(number=n, label=f"user{n}", title=f"T{n}", otp=params)
        # row 7 carries a title the vault refuses (a control character)
        rows.append(Row(item, IMPORT, customer=f"C{n % 3}", title="bad\x07title" if n == 7 else f"T{n}"))
    v = opened(vault_path)
    with pytest.raises(Exception, match=r"entry 7 \(user7\).*nothing was imported"):
        write_rows(v, rows)
    v.close()
    assert state_of(vault_path) == before


def test_bad_entry_names_number_and_label_never_the_secret(vault_path, tmp_path, monkeypatch,
                                                           capsys):
    bad_secret = "JBSWY3DPEHPK3PX1"
    f = tmp_path / "l.txt"
    f.write_text("\n".join([otpauth("totp", "A:a", B32_SHA1), otpauth("totp", "B:b", B32_SHA1),
                            otpauth("totp", "Broken:carol", bad_secret)]))
    before = state_of(vault_path)
    assert run(["import", str(f), "--strict"], monkeypatch) == 1
    err = capsys.readouterr().err
    assert "#3 Broken:carol" in err and "invalid character '1'" in err
    assert "nothing was imported" in err and bad_secret not in err
    assert state_of(vault_path) == before
    # Without --strict the broken entry is skipped and listed; the others are imported.
    assert run(["import", str(f), "--json"], monkeypatch) == 0
    out, err = capsys.readouterr()
    assert bad_secret not in out + err
    result = json.loads(out)
    assert (result["imported"], result["refused"]) == (2, 1)
    refused = [i for i in result["items"] if i["status"] == "refused"][0]
    assert refused["number"] == 3 and "invalid character '1'" in refused["reason"]
    v = opened(vault_path)
    assert sorted(e.title for e in v.entries()) == ["A", "B"]
    v.close()


def test_short_secret_needs_force_and_own_export_restores_it(vault_path, tmp_path, monkeypatch,
                                                             capsys):
    short = base64.b32encode(b"\x01\x02\x03\x04\x05").decode()  # 40 bits
    f = tmp_path / "short.txt"
    f.write_text(otpauth("totp", "Tiny:t", short) + "\n")
    assert run(["import", str(f)], monkeypatch) == 1  # every entry refused: nothing to do
    err = capsys.readouterr().err
    assert "#1 Tiny:t" in err and "80 are required" in err and short not in err
    assert run(["import", str(f), "--force"], monkeypatch) == 0
    capsys.readouterr()
    v = opened(vault_path)
    [entry] = v.entries()
    expected = v.otp_params(entry.id, reason="test")
    v.close()
    # export → import into a fresh vault, no --force: our own backup always restores.
    out = tmp_path / "backup.json"
    assert run(["export", "--format", "json", "--plain", "-o", str(out)], monkeypatch) == 0
    capsys.readouterr()
    assert run(["export", "--format", "json", "--plain", "-o", str(out)], monkeypatch) == 1
    assert "already exists" in capsys.readouterr().err
    assert run(["export", "--format", "json", "--plain", "-o", str(out), "--force"],
               monkeypatch) == 0
    fresh = tmp_path / "fresh.db"
    Vault.create(fresh, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(fresh))
    assert run(["import", str(out)], monkeypatch) == 0
    v = opened(fresh)
    [entry] = v.entries()
    assert v.otp_params(entry.id, reason="test") == expected
    v.close()


# --- hostile files, through the real console script -----------------------------------------------


def otpc(args, env_extra=None, stdin=b""):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    env.update(env_extra or {})
    return subprocess.run([OTPC, *args], input=stdin, capture_output=True, env=env, timeout=60)


def hostile_files(tmp_path) -> dict:
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as f:  # 100 MB, sparse: refused by the size cap before any reading
        f.truncate(100 * 1024 * 1024)
    absurd = json.loads(aegis_file([aegis_entry("totp", "A", "a", B32_SHA1)], password="x"))
    absurd["header"]["slots"][1].update({"n": 2**30, "r": 64, "p": 64})
    files = {
        "truncated": aegis_file([aegis_entry("totp", "A", "a", B32_SHA1)])[:-40],
        "wrong-password": aegis_file([aegis_entry("totp", "A", "a", B32_SHA1)], password="right"),
        "absurd-kdf": json.dumps(absurd).encode(),
        "non-base32": otpauth("totp", "X:y", "ABCDEFGH01234567").encode(),
        "garbage": os.urandom(20),
        "not-json-enough": b'{"foo": 1}',
    }
    paths = {"huge": huge}
    for name, data in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


def test_hostile_files_one_line_error_vault_unchanged(vault_path, tmp_path):
    v = opened(vault_path)
    v.add_customer("Keep")
    e = v.add_entry("Keep", "Me", password="p")
    v.set_otp(e.id, OtpParams(secret=B32_SHA1, account="me"))
    v.close()
    before = state_of(vault_path)
    env = {"OTPC_VAULT": str(vault_path), "OTPC_PASSWORD": MASTER, "OTPC_IMPORT_PASSWORD": "nope"}
    expected = {
        "huge": "too large",
        "truncated": "invalid JSON",
        "wrong-password": "wrong password",
        "absurd-kdf": "exceed our limits",
        "non-base32": "invalid character '0'",
        "garbage": "",
        "not-json-enough": "not one of the formats",
    }
    for name, path in hostile_files(tmp_path).items():
        result = otpc(["import", str(path)], env)
        err = result.stderr.decode()
        assert result.returncode != 0, name
        assert err.count("\n") == 1 and err.startswith("otpc: error: "), (name, err)
        assert "Traceback" not in err and expected[name] in err, (name, err)
    assert state_of(vault_path) == before


# --- exports and round trips ---------------------------------------------------------------------


def fill(path):
    v = opened(path)
    v.add_customer("Alpha", notes="first customer")
    v.add_customer("Beta")
    specs = [
        ("Alpha", "Mail", OtpParams(secret=B32_SHA1, digits=8, issuer="Mail", account="a1")),
        ("Alpha", "Bank", OtpParams(type="hotp", secret=B32_OTHER, counter=7, account="a2")),
        ("Beta", "Steam", OtpParams(type="steam", secret=B32_OTHER, digits=5, account="b1")),
        ("Beta", "Cloud", OtpParams(secret=B32_SHA256, algorithm="SHA256", digits=7, period=60,
                                    issuer="Cloud Co", account="b2")),
    ]
    for customer, title, params in specs:
        e = v.add_entry(customer, title, username=params.account, password=f"pw-{title}",
                        urls=[f"https://{title.lower()}.example"], tags=["t1"])
        v.set_otp(e.id, params)
    v.add_entry("Beta", "Password only", username="x", password="only-pw", notes="n")
    v.close()


def codes_by_account(path, times=(59, T, 2_000_000_000)) -> dict:
    v = opened(path)
    out = {}
    for e in v.entries():
        if e.has_otp:
            out[e.otp.account] = [v.code(e.id, at=t).code for t in times]
    v.close()
    return out


@pytest.mark.parametrize("fmt,mode", [("otpauth", "--plain"), ("aegis", "--encrypted"),
                                      ("aegis", "--plain"), ("json", "--encrypted"),
                                      ("json", "--plain"), ("bitwarden-json", "--plain")])
def test_round_trip(vault_path, tmp_path, monkeypatch, capsys, fmt, mode):
    fill(vault_path)
    out_file = tmp_path / f"export.{fmt}"
    monkeypatch.setenv("OTPC_EXPORT_PASSWORD", "export pw")
    assert run(["export", "--format", fmt, mode, "--output", str(out_file)], monkeypatch) == 0
    err = capsys.readouterr().err
    assert "contains OTP secrets" in err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    raw = out_file.read_bytes()
    assert (B32_SHA1.encode() in raw) == (mode == "--plain")
    expected = codes_by_account(vault_path)
    # the export is audited, one event per OTP read
    v = opened(vault_path)
    assert sum(1 for a in v.audit() if a.action == "export") == 4
    v.close()

    other = tmp_path / "empty.sqlite"
    Vault.create(other, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(other))
    monkeypatch.setenv("OTPC_IMPORT_PASSWORD", "export pw")
    assert run(["import", str(out_file)], monkeypatch) == 0
    assert codes_by_account(other) == expected
    # independent check of two of them
    assert expected["a1"][0] == RFC6238_AT_59["SHA1"]
    import base64

    assert expected["b2"][1] == ref_totp(base64.b32decode(B32_SHA256), T, "SHA256", 7, 60)
    if fmt == "json":
        v = opened(other)
        got = {(e.customer, e.title, e.username, e.password, e.urls, e.tags) for e in v.entries()}
        assert ("Beta", "Password only", "x", "only-pw", (), ()) in got
        assert ("Alpha", "Mail", "a1", "pw-Mail", ("https://mail.example",), ("t1",)) in got
        assert [(c.name, c.notes) for c in v.customers()] == [("Alpha", "first customer"),
                                                              ("Beta", "")]
        v.close()
    if fmt == "bitwarden-json":  # password entries and folders survive, as customers
        v = opened(other)
        got = {(e.customer, e.title, e.username, e.password, e.urls) for e in v.entries()}
        assert ("Beta", "Password only", "x", "only-pw", ()) in got
        assert ("Alpha", "Mail", "a1", "pw-Mail", ("https://mail.example",)) in got
        v.close()


def test_export_wrong_password_on_import(vault_path, tmp_path, monkeypatch, capsys):
    fill(vault_path)
    out_file = tmp_path / "e.json"
    monkeypatch.setenv("OTPC_EXPORT_PASSWORD", "right")
    assert run(["export", "--format", "json", "-o", str(out_file)], monkeypatch) == 0
    monkeypatch.setenv("OTPC_IMPORT_PASSWORD", "wrong")
    before = state_of(vault_path)
    assert run(["import", str(out_file)], monkeypatch) == 3
    assert "wrong password" in capsys.readouterr().err
    assert state_of(vault_path) == before


def test_terminal_qr_scans_back():
    import zxingcpp
    from PIL import Image

    from companion.formats.qr import terminal_qr

    uri = otpauth("totp", "ACME:alice", B32_SHA1, issuer="ACME")
    art = terminal_qr(uri).splitlines()
    # paint it: every character cell is two pixel rows; a block is light, a space dark
    pixels = {"█": (255, 255), "▀": (255, 0), "▄": (0, 255), " ": (0, 0)}
    width, scale = len(art[0]), 6
    img = Image.new("L", (width * scale, len(art) * 2 * scale), 255)
    for y, line in enumerate(art):
        for x, ch in enumerate(line):
            for half, value in enumerate(pixels[ch]):
                box = (x * scale, (2 * y + half) * scale, (x + 1) * scale, (2 * y + half + 1) * scale)
                img.paste(value, box)
    padded = Image.new("L", (img.width + 80, img.height + 80), 255)
    padded.paste(img, (40, 40))
    found = zxingcpp.read_barcodes(padded)
    assert [b.text for b in found] == [uri]


def test_uri_argument_warns_and_stdin_source(vault_path, monkeypatch, capsys):
    uri = otpauth("totp", "ACME:alice", B32_SHA1, digits=8)
    assert run(["import", uri], monkeypatch) == 0
    captured = capsys.readouterr()
    assert "process list" in captured.err and B32_SHA1 not in captured.err
    listing = otpauth("totp", "Other:bob", B32_OTHER) + "\n"
    assert run(["import", "-", "--customer", "Piped"], monkeypatch, stdin=listing) == 0
    v = opened(vault_path)
    assert sorted(e.ref for e in v.entries()) == ["Imported/ACME", "Piped/Other"]
    v.close()


def test_export_otpauth_to_stdout(vault_path, monkeypatch, capfdbinary):
    fill(vault_path)
    assert run(["export", "--format", "otpauth"], monkeypatch) == 0
    out, err = capfdbinary.readouterr()
    lines = out.decode().splitlines()
    assert len(lines) == 4 and all(line.startswith("otpauth://") for line in lines)
    assert b"contains OTP secrets" in err
    assert run(["export", "--format", "otpauth", "--encrypted"], monkeypatch) == 1


def test_otp_qr_png_labels_with_title_and_scans_back(vault_path, tmp_path, monkeypatch, capsys):
    """Issue 12 item 10 and 4: an OTP with neither issuer nor account gets the entry's title as
    label, the separator is a literal ':', and --png writes a 0600 file zxing-cpp reads back."""
    import zxingcpp
    from PIL import Image

    from companion.otpauth import parse_uri

    v = opened(vault_path)
    v.add_customer("Acme")
    e = v.add_entry("Acme", "Payroll portal")
    v.set_otp(e.id, OtpParams(secret=B32_SHA1))
    v.close()
    png = tmp_path / "code.png"
    assert run(["otp", "qr", "Acme/Payroll portal", "--png", str(png)], monkeypatch) == 0
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    [text] = {b.text for b in zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)}
    assert text.startswith("otpauth://totp/Payroll%20portal:?")
    params, _ = parse_uri(text)
    assert params.issuer == "Payroll portal" and code_at(params, 59) == RFC6238_AT_59["SHA1"][2:]
    assert run(["otp", "qr", "Acme/Payroll portal", "--png", str(png)], monkeypatch) == 1
    assert "already exists" in capsys.readouterr().err


def code_at(params, at):
    from companion.otp import code

    return code(params, at)


def test_google_authenticator_export_png_batches_decode_back(vault_path, tmp_path, monkeypatch,
                                                            capsys):
    """Issue 12 item 4: 23 accounts → three migration QR codes (10 + 10 + 3) written as PNG files;
    zxing-cpp reads them back and importing them gives the same accounts and codes. A Steam
    account (which the app cannot hold) is listed as skipped."""
    import zxingcpp
    from PIL import Image

    v = opened(vault_path)
    v.add_customer("GA")
    secrets_ = [base64.b32encode(bytes([n]) * 20).decode() for n in range(23)]
    for n, secret in enumerate(secrets_):
        e = v.add_entry("GA", f"Svc {n}")
        digits = 8 if n % 2 else 6
        v.set_otp(e.id, OtpParams(secret=secret, digits=digits, issuer=f"Svc {n}",
                                  account=f"user{n}"))
    e = v.add_entry("GA", "Steam")
    v.set_otp(e.id, OtpParams(type="steam", secret=B32_OTHER, digits=5, account="gamer"))
    v.close()
    expected = codes_by_account(vault_path)
    del expected["gamer"]
    out = tmp_path / "ga.png"
    assert run(["export", "--format", "google-authenticator", "-o", str(out)], monkeypatch) == 0
    err = capsys.readouterr().err
    assert "skipped: GA/Steam: Google Authenticator cannot hold Steam Guard codes" in err
    pngs = sorted(tmp_path.glob("ga-*.png"))
    assert [p.name for p in pngs] == ["ga-1.png", "ga-2.png", "ga-3.png"]
    texts = []
    for p in pngs:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        # zxing-cpp may report the same symbol twice; one distinct text per file
        [text] = {b.text for b in zxingcpp.read_barcodes(Image.open(p), formats=zxingcpp.BarcodeFormat.QRCode)}
        texts.append(text)
    assert all(t.startswith("otpauth-migration://offline?data=") for t in texts)
    listing = tmp_path / "scanned.txt"
    listing.write_text("\n".join(texts) + "\n")
    other = tmp_path / "other.sqlite"
    Vault.create(other, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(other))
    assert run(["import", str(listing), "--json"], monkeypatch) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["format"] == "google-authenticator" and result["imported"] == 23
    assert result["notes"] == []  # all three batches present
    assert codes_by_account(other) == expected
    # independent check of one code
    assert expected["user0"][0] == ref_totp(bytes([0]) * 20, 59)
