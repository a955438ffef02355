"""Hostile and broken input at the importer level: every failure is a one-line UserError, never
another exception, and costly parameters are refused before any work is done."""

import base64
import json
import os
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importgen import (
    B32_SHA1,
    aegis_entry,
    aegis_file,
    andotp_account,
    bw_json,
    bw_login,
    bw_protected,
    kp_entry,
    kp_group,
    kp_xml,
    migration_uri,
    twofas_file,
    twofas_service,
)

from companion.errors import UserError
from companion.formats import parse
from companion.formats.ciphers import WrongFilePassword


def pw(value="pw"):
    return lambda: value


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width×height (a decompression bomb's header), tiny on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_image_bomb_refused_from_its_header():
    with pytest.raises(UserError, match="larger than we read"):
        parse(png_header_only(60_000, 60_000))


def test_zip_refused_clearly():
    with pytest.raises(UserError, match="zip archive"):
        parse(b"PK\x03\x04" + b"\0" * 100)


def test_xml_entities_and_doctype_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE KeePassFile [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><KeePassFile><Root><Group><Name>&b;'
            b"</Name></Group></Root></KeePassFile>")
    with pytest.raises(UserError, match="DOCTYPE"):
        parse(bomb, "keepass-xml")


def test_deeply_nested_json():
    with pytest.raises(UserError):
        parse(b"[" * 100_000 + b"]" * 100_000)


def test_absurd_kdf_parameters_refused_before_work():
    inner = bw_json([bw_login("x", totp=B32_SHA1)])
    doc = json.loads(bw_protected(inner, "pw"))
    doc["kdfIterations"] = 10**9
    with pytest.raises(UserError, match="exceed our limit"):
        parse(json.dumps(doc).encode(), password=pw())
    doc.update({"kdfType": 1, "kdfIterations": 3, "kdfMemory": 1 << 20, "kdfParallelism": 4})
    with pytest.raises(UserError, match="exceed our limits"):
        parse(json.dumps(doc).encode(), password=pw())
    aegis = json.loads(aegis_file([aegis_entry("totp", "A", "a", B32_SHA1)], password="pw"))
    password_slot = aegis["header"]["slots"][1]
    for bad in ({"n": 3}, {"n": 2**22, "r": 8}, {"p": 10**6}, {"n": "big"}):
        slot = dict(password_slot, **bad)
        aegis["header"]["slots"] = [slot]
        with pytest.raises(UserError):
            parse(json.dumps(aegis).encode(), password=pw())


def test_wrong_password_and_tampering():
    data = twofas_file([twofas_service("A", B32_SHA1, 4, account="a")], 4, password="pw")
    with pytest.raises(WrongFilePassword):
        parse(data, password=pw("other"))
    doc = json.loads(data)
    ct, salt, iv = doc["servicesEncrypted"].split(":")
    raw = bytearray(base64.b64decode(ct))
    raw[0] ^= 1
    doc["servicesEncrypted"] = f"{base64.b64encode(bytes(raw)).decode()}:{salt}:{iv}"
    with pytest.raises(UserError):
        parse(json.dumps(doc).encode(), password=pw())


def test_truncated_migration_payload():
    uri = migration_uri([{"secret": b"12345678901234567890", "name": "a"}])
    data = uri.split("data=")[1]
    raw = base64.b64decode(data.replace("%2B", "+").replace("%2F", "/").replace("%3D", "="))
    cut = base64.b64encode(raw[:-12]).decode()
    with pytest.raises(UserError, match="damaged payload"):
        parse(f"otpauth-migration://offline?data={cut}".encode())


@pytest.mark.parametrize("field,value,reason", [
    ("digits", 4, "4-digit codes are easy to guess"),
    ("digits", 3, "digits must be 4 to 10"),
    ("period", 0, "period must be"),
    ("algo", "MD5", "unsupported algorithm"),
    ("secret", "", "secret is empty"),
    ("secret", "ABC", "impossible base32 length"),
    ("digits", "six", "whole number"),
])
def test_bad_aegis_entry_names_it(field, value, reason):
    entries = [aegis_entry("totp", "Good", "g", B32_SHA1), aegis_entry("totp", "Bad", "b", B32_SHA1)]
    entries[1]["info"][field] = value
    good, bad = parse(aegis_file(entries)).items  # the bad one is refused, named, not fatal
    assert not good.refused and good.otp is not None
    assert bad.number == 2 and bad.label == "Bad: b" and reason in bad.refused
    assert bad.otp is None


def valid_samples() -> list[bytes]:
    kp = kp_xml(kp_group("Root", [kp_entry({"Title": "t", "otp": f"key={B32_SHA1}&size=6"})]))
    return [
        aegis_file([aegis_entry("totp", "A", "a", B32_SHA1)]),
        twofas_file([twofas_service("A", B32_SHA1, 4, account="a")], 4),
        json.dumps(bw_json([bw_login("x", totp=B32_SHA1)])).encode(),
        json.dumps([andotp_account(B32_SHA1, "A", "a")]).encode(),
        kp,
        migration_uri([{"secret": b"12345678901234567890", "name": "a"}]).encode(),
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(valid_samples()), st.data())
def test_mutated_files_only_ever_raise_user_errors(sample, data):
    """Flip, cut or splice bytes of valid files: the importers answer or raise a UserError."""
    blob = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        pos = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        if op == "flip" and blob:
            blob[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del blob[pos:]
        else:
            blob[pos:pos] = data.draw(st.binary(max_size=8))
    try:
        parse(bytes(blob))  # no password: an encrypted-looking file stops at PasswordRequired
    except UserError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("data,says", [
    (b"SQLite format 3\x00" + bytes(200), "SQLite database"),
    (b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5" + bytes(200), "KeePass database (.kdbx)"),
    (b"GIF89a" + bytes(200), "GIF image"),
    (b"RIFF\x00\x01\x00\x00WEBPVP8 " + bytes(200), "WEBP image"),
    ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP".encode("utf-16"), "UTF-16 text"),
    (b"\xac\xed\x00\x05" + bytes(200), "FreeOTP backup"),
])
def test_known_binaries_say_what_they_are_not_wrong_password(data, says):
    """Issue 12 defect 8: these used to be read as an encrypted andOTP file ("wrong password")."""
    with pytest.raises(UserError) as info:
        parse(data, password=pw("anything"))
    assert says in str(info.value) and "wrong password" not in str(info.value)


def test_andotp_absurd_iterations_name_the_cap():
    data = (2**31).to_bytes(4, "big") + os.urandom(12 + 12 + 64)
    with pytest.raises(UserError) as info:
        parse(data, "andotp", password=pw("x"))
    assert "2,147,483,648 PBKDF2 iterations" in str(info.value)
    assert "limit of 1,000,000" in str(info.value)


def test_qr_image_without_the_qr_extra_says_how_to_install_it(monkeypatch):
    """zxing-cpp and Pillow are the optional 'qr' extra: without them, one clear line."""
    import sys

    from importgen import otpauth, qr_png

    image = qr_png(otpauth("totp", "A:a", B32_SHA1))
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # import zxingcpp → ImportError
    with pytest.raises(UserError, match=r"pip install 'otp-companion\[qr\]'"):
        parse(image)


@pytest.mark.parametrize("header,fmt", [
    ("Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes", "1password-csv"),
    ("type,name,url,email,username,password,note,totp,createTime,modifyTime,vault",
     "protonpass-csv"),
])
def test_password_manager_csvs_are_not_taken_for_uri_lists(header, fmt):
    """Issue 12 defect 9: these CSVs hold otpauth URIs in a column and were read as URI lists."""
    from importgen import otpauth

    row = ",".join(["x"] * 4 + [otpauth("totp", "A:a", B32_SHA1)] + ["x"] * 4)
    assert parse(f"{header}\n{row}\n".encode()).format == fmt


def test_keepass_xml_naming_an_unknown_encoding_is_one_line():
    """Found by the mutation test: `encoding="ATF-8"` raised LookupError out of the XML parser."""
    from companion.errors import UserError
    from companion.formats import keepass

    with pytest.raises(UserError, match="unknown encoding"):
        keepass.parse_xml(b'<?xml version="1.0" encoding="ATF-8"?>\n<KeePassFile/>')
