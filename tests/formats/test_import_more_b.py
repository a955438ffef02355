"""Ente Auth (encrypted), FreeOTP+ JSON and FreeOTP 1.x tokens.xml, Authenticator Pro / Stratum
(plain, encrypted, legacy), Raivo (AES zip, ZipCrypto zip, bare JSON): files generated from the
apps' formats (gen_more_b), every account's codes checked with pyotp, a wrong password, a damaged
file; then through the real `otpc` for exit codes and an unchanged vault."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from gen_more_b import (
    ente_export,
    freeotp_json,
    freeotp_token,
    freeotp_xml,
    raivo_entry,
    raivo_zip_aes,
    raivo_zip_zipcrypto,
    stratum_auth,
    stratum_doc,
    stratum_encrypted,
    stratum_legacy,
)

from companion import crypto
from companion.formats import FormatError, PasswordRequired, parse
from companion.formats.ciphers import WrongFilePassword
from companion.formats.detect import detect
from companion.otp import code
from companion.vault import Vault

PW = "correct horse ☃"
TIMES = (59, 1_111_111_109, 2_000_000_000)
K1 = bytes(range(200, 220))  # 160-bit secrets, one with bytes > 127 (negative Java bytes)
K2 = os.urandom(32)
K3 = os.urandom(20)
S1, S2, S3 = (base64.b32encode(k).decode() for k in (K1, K2, K3))


def pw(value=PW):
    return lambda: value


def totp(secret_b32, digits=6, algo="sha1", period=30):
    import hashlib

    return pyotp.TOTP(secret_b32, digits=digits, digest=getattr(hashlib, algo), interval=period)


def assert_codes(item, expected: pyotp.OTP):
    for t in TIMES:
        assert code(item.otp, t) == expected.at(t), (item.label, t)


def steam_codes(key: bytes):
    from pyotp.contrib import Steam

    return Steam(base64.b32encode(key).decode())


# --- Ente -----------------------------------------------------------------------------------------


ENTE_URIS = [
    f"otpauth://totp/ACME:alice@acme.test?secret={S1}&issuer=ACME&algorithm=SHA1&digits=6&period=30",
    f"otpauth://totp/Cloud:bob?secret={S2}&issuer=Cloud&algorithm=SHA256&digits=8&period=60"
    "&codeDisplay=%7B%22pinned%22%3Afalse%7D",
    f"otpauth://hotp/Bank:carol?secret={S3}&issuer=Bank&counter=5",
    f"otpauth://steam/Steam:dave?secret={S3}&issuer=Steam",
]


@pytest.mark.parametrize("final_tag", [True, False])
def test_ente_encrypted_all_accounts(final_tag):
    data = ente_export(ENTE_URIS, PW, final_tag=final_tag)
    assert detect(data) == "ente"
    parsed = parse(data, password=pw())
    assert parsed.format == "ente-encrypted"
    a, b, c, d = parsed.items
    assert (a.otp.issuer, a.otp.account) == ("ACME", "alice@acme.test")
    assert_codes(a, totp(S1))
    assert_codes(b, totp(S2, 8, "sha256", 60))
    assert code(c.otp) == pyotp.HOTP(S3).at(5)
    assert_codes(d, steam_codes(K3))


def test_ente_wrong_password_missing_password_and_damage():
    data = ente_export(ENTE_URIS[:1], PW)
    with pytest.raises(WrongFilePassword, match="wrong password"):
        parse(data, password=pw("nope"))
    with pytest.raises(PasswordRequired):
        parse(data)
    doc = json.loads(data)
    raw = bytearray(base64.b64decode(doc["encryptedData"]))
    raw[5] ^= 1
    doc["encryptedData"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(WrongFilePassword):  # tampering is indistinguishable from a wrong password
        parse(json.dumps(doc).encode(), password=pw())
    doc["encryptionNonce"] = base64.b64encode(b"short").decode()
    with pytest.raises(FormatError, match="24 bytes"):
        parse(json.dumps(doc).encode(), password=pw())


def test_ente_kdf_caps_follow_enters_own_range():
    """Ente trades memory for passes (1 GiB × 4 … 64 MiB × 64): a file beyond 1 GiB × 4 of work
    is refused before any work, naming the limit, not as a wrong password."""
    doc = json.loads(ente_export(ENTE_URIS[:1], PW))
    doc["kdfParams"].update(memLimit=1024 * 1024 * 1024, opsLimit=5)
    with pytest.raises(FormatError, match="exceed our limits") as err:
        parse(json.dumps(doc).encode(), password=pw())
    assert not isinstance(err.value, WrongFilePassword)
    doc["kdfParams"].update(memLimit=2 * 1024 * 1024 * 1024, opsLimit=1)
    with pytest.raises(FormatError, match="exceed our limits"):
        parse(json.dumps(doc).encode(), password=pw())


def test_sodium_argon2id_is_libsodiums_crypto_pwhash():
    from nacl import pwhash

    salt = os.urandom(16)
    expected = pwhash.argon2id.kdf(32, b"pw", salt, opslimit=3, memlimit=16 * 1024 * 1024)
    assert crypto.sodium_argon2id_capped("pw", salt, 3, 16 * 1024 * 1024) == expected


# --- FreeOTP+ / FreeOTP 1.x -----------------------------------------------------------------------


def freeotp_tokens():
    return [
        freeotp_token("ACME", "alice", K1, digits=8),
        freeotp_token("Cloud", "bob", K2, algo="SHA512", period=60),
        freeotp_token("Bank", "carol", K3, kind="HOTP", counter=9),
        freeotp_token("Steam", "dave", K3, digits=5),
        {**freeotp_token("X", "broken", K1), "secret": [1, 2, 999]},
    ]


@pytest.mark.parametrize("flavour", ["json", "xml"])
def test_freeotp_all_accounts(flavour):
    data = (freeotp_json if flavour == "json" else freeotp_xml)(freeotp_tokens())
    assert detect(data) == "freeotp"
    parsed = parse(data)
    a, b, c, d, broken = parsed.items
    assert (a.otp.issuer, a.otp.account) == ("ACME", "alice")
    assert_codes(a, totp(S1, 8))
    assert_codes(b, totp(S2, 6, "sha512", 60))
    assert c.otp.type == "hotp" and code(c.otp) == pyotp.HOTP(S3).at(9)
    assert d.otp.type == "steam"
    assert_codes(d, steam_codes(K3))
    assert "not a byte" in broken.refused and broken.otp is None


def test_freeotp_damaged():
    data = freeotp_json(freeotp_tokens()[:1])
    with pytest.raises(FormatError, match="invalid JSON"):
        parse(data[:-10])
    xml = freeotp_xml(freeotp_tokens()[:1])
    with pytest.raises(FormatError, match="invalid XML"):
        parse(xml[:-20], "freeotp")
    with pytest.raises(FormatError, match="DOCTYPE"):
        parse(xml.replace(b"<map>", b'<!DOCTYPE map [<!ENTITY x "y">]><map>'), "freeotp")


def test_freeotp_2_backup_is_named_not_a_wrong_password():
    """FreeOTP 2's backup (a Java-serialized, encrypted map) is not FreeOTP+'s JSON."""
    with pytest.raises(FormatError, match="FreeOTP backup") as err:
        parse(b"\xac\xed\x00\x05sr\x00\x11java.util.HashMap" + os.urandom(64))
    assert not isinstance(err.value, WrongFilePassword)


# --- Authenticator Pro / Stratum ------------------------------------------------------------------


def stratum_sample():
    auths = [
        stratum_auth(2, "ACME", "alice", S1, digits=8),
        stratum_auth(2, "Cloud", None, S2, algorithm=1, period=60),
        stratum_auth(1, "Bank", "carol", S3, counter=4),
        stratum_auth(4, "Steam", "dave", S3, digits=5),
        stratum_auth(3, "Old", "mobile", S1),
    ]
    return stratum_doc(auths, {"Customer A": [S1], "Customer B": [S2, S3]})


def check_stratum(parsed):
    a, b, c, d, motp = parsed.items
    assert (a.customer, a.otp.issuer, a.otp.account) == ("Customer A", "ACME", "alice")
    assert_codes(a, totp(S1, 8))
    assert (b.customer, b.otp.account) == ("Customer B", "")
    assert_codes(b, totp(S2, 6, "sha256", 60))
    assert code(c.otp) == pyotp.HOTP(S3).at(4)
    assert_codes(d, steam_codes(K3))
    assert "mOTP" in motp.refused


def test_stratum_plain():
    data = json.dumps(stratum_sample()).encode()
    assert detect(data) == "stratum"
    parsed = parse(data)
    assert parsed.format == "stratum"
    check_stratum(parsed)


@pytest.mark.slow
@pytest.mark.parametrize("writer", [stratum_encrypted, stratum_legacy])
def test_stratum_encrypted(writer):
    data = writer(stratum_sample(), PW)
    assert detect(data) == "stratum"
    parsed = parse(data, password=pw())
    assert parsed.format == "stratum-encrypted"
    check_stratum(parsed)
    with pytest.raises(WrongFilePassword, match="wrong password"):
        parse(data, password=pw("wrong"))
    with pytest.raises(PasswordRequired):
        parse(data)


def test_stratum_damaged():
    with pytest.raises(FormatError, match="truncated"):
        parse(stratum_encrypted(stratum_sample(), PW)[:40], password=pw())
    with pytest.raises(FormatError, match="whole AES blocks"):
        parse(stratum_legacy(stratum_sample(), PW)[:-3], password=pw())


# --- Raivo ----------------------------------------------------------------------------------------


def raivo_sample():
    return [
        raivo_entry("ACME", "alice", S1, digits=8, pinned=True),
        raivo_entry("Cloud", "bob", S2, algorithm="SHA256", timer=60),
        raivo_entry("Bank", "carol", S3, kind="HOTP", counter=3),
    ]


def check_raivo(parsed):
    a, b, c = parsed.items
    assert (a.otp.issuer, a.otp.account, a.tags) == ("ACME", "alice", ("favorite",))
    assert_codes(a, totp(S1, 8))
    assert_codes(b, totp(S2, 6, "sha256", 60))
    assert code(c.otp) == pyotp.HOTP(S3).at(3)


@pytest.mark.parametrize("writer", [raivo_zip_aes, raivo_zip_zipcrypto])
def test_raivo_zip(writer):
    data = writer(raivo_sample(), PW)
    assert detect(data) == "raivo"
    check_raivo(parse(data, password=pw()))
    with pytest.raises(WrongFilePassword, match="wrong password"):
        parse(data, password=pw("wrong"))
    with pytest.raises(PasswordRequired):
        parse(data)


def test_raivo_bare_json_and_damaged_zip():
    data = json.dumps(raivo_sample()).encode()
    assert detect(data) == "raivo"
    check_raivo(parse(data))
    zipped = raivo_zip_aes(raivo_sample(), PW)
    with pytest.raises(FormatError, match="damaged"):
        parse(zipped[: len(zipped) // 2], "raivo", password=pw())


def test_other_zip_still_explained():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(FormatError, match="zip archive"):
        detect(out.getvalue())


# --- through the real `otpc`: exit codes, one line, vault unchanged --------------------------------

OTPC = str(Path(sys.executable).with_name("otpc"))
MASTER = "master pw"


def otpc(args, env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    full.update(env)
    return subprocess.run([OTPC, *args], capture_output=True, env=full, timeout=120)


@pytest.mark.slow
def test_cli_imports_wrong_password_exit_3_damaged_one_line(tmp_path):
    vault = tmp_path / "v.sqlite"
    Vault.create(vault, MASTER, kdf_ms=1).close()
    files = {
        "ente.json": ente_export(ENTE_URIS, PW),
        "backup.authpro": stratum_encrypted(stratum_sample(), PW),
        "raivo.zip": raivo_zip_aes(raivo_sample(), PW),
        "freeotp.json": freeotp_json(freeotp_tokens()),
    }
    env = {"OTPC_VAULT": str(vault), "OTPC_PASSWORD": MASTER, "OTPC_IMPORT_PASSWORD": "wrong"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        if name != "freeotp.json":
            r = otpc(["import", str(tmp_path / name)], env)
            err = r.stderr.decode()
            assert r.returncode == 3 and err.count("\n") == 1 and "wrong password" in err, (name, err)
    damaged = tmp_path / "damaged.authpro"
    damaged.write_bytes(files["backup.authpro"][:30])
    r = otpc(["import", str(damaged)], env)
    err = r.stderr.decode()
    assert r.returncode == 1 and err.count("\n") == 1 and "truncated" in err, err
    v = Vault.open(vault)
    v.unlock(MASTER)
    assert v.entries() == []
    v.close()

    env["OTPC_IMPORT_PASSWORD"] = PW
    counts = {}
    for name in files:  # each into a fresh vault (the samples share secrets: they would dedupe)
        fresh = tmp_path / f"{name}.sqlite"
        Vault.create(fresh, MASTER, kdf_ms=1).close()
        r = otpc(["import", "--json", str(tmp_path / name)], {**env, "OTPC_VAULT": str(fresh)})
        assert r.returncode == 0, r.stderr
        result = json.loads(r.stdout)
        counts[name] = (result["imported"], result["refused"])
    assert counts == {"ente.json": (4, 0), "backup.authpro": (4, 1), "raivo.zip": (3, 0),
                      "freeotp.json": (4, 1)}
