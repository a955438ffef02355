"""Damaged and hostile 1Password / Proton / LastPass files: one-line UserErrors and nothing parsed,
zip bombs stopped at the cap, terminal escapes never reaching a message, and zips that are not an
export say what they hold instead of "unpack it"."""

import io
import json
import struct
import zipfile

import pytest
from gen_more_a import (
    LP_CSV_HEADER,
    lp_csv,
    onepux,
    op_csv,
    op_export_data,
    op_item,
    op_vault,
    pa_entry,
    pa_export,
    pp_csv,
    pp_export,
    pp_item,
    pp_zip,
    zipped,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importgen import B32_SHA1, otpauth

from companion.errors import UserError
from companion.formats import FormatError, parse
from companion.formats.detect import detect
from companion.formats.plan import plan
from companion.formats.records import MAX_FILE_BYTES, MAX_ITEMS

ESC = "\x1b]0;owned\x07\x1b[31mEvil\x1b[0m"


def small_onepux() -> bytes:
    return onepux(op_export_data([op_vault("V", [op_item("A", username="a", totps=[B32_SHA1])])]))


def small_proton_zip() -> bytes:
    return pp_zip(pp_export({"V": [pp_item("A", username="a", totp=B32_SHA1)]}))


def damaged_files() -> dict[str, tuple[bytes, str]]:
    onepux_bytes = small_onepux()
    proton_bytes = small_proton_zip()
    return {
        "1pux cut in half": (onepux_bytes[: len(onepux_bytes) // 2], "damaged or truncated"),
        "1pux with broken JSON": (zipped({"export.data": b'{"accounts": [{"vaults": ['}),
                                  "invalid JSON"),
        "1pux member corrupted": (corrupt_member(onepux_bytes, "export.data"), "damaged"),
        "proton zip cut": (proton_bytes[:-30], "damaged or truncated"),
        "proton json cut": (json.dumps(pp_export({"V": [pp_item("A", totp=B32_SHA1)]})).encode()
                            [:-20], "invalid JSON"),
        "authenticator cut": (pa_export([pa_entry(otpauth("totp", "A:a", B32_SHA1))])[:-10],
                              "invalid JSON"),
        "lastpass unterminated quote": (lp_csv([["u", "a", "p", B32_SHA1, "", "n", "", "0"]])
                                        + b'"https://x,a,"p', "broken CSV"),
        "1password csv not utf-8": (op_csv([["T\xe9", "", "", "", B32_SHA1]]).decode()
                                    .encode("latin-1"), "not UTF-8"),
    }


def corrupt_member(data: bytes, name: str) -> bytes:
    """Flip bytes inside one member's compressed data (its CRC or inflate then fails)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    blob = bytearray(data)
    for i in range(start + 2, start + min(info.compress_size, 12)):
        blob[i] ^= 0x5A
    return bytes(blob)


@pytest.mark.parametrize("name", list(damaged_files()))
def test_damaged_files_are_one_line_and_parse_nothing(name):
    data, says = damaged_files()[name]
    with pytest.raises(UserError) as info:
        parse(data)
    message = str(info.value)
    assert says in message and "\n" not in message, message


def test_zip_bomb_member_is_stopped_at_the_cap():
    # 11 MiB of spaces deflates to ~11 KiB; its header says so and is refused before inflating.
    bomb = zipped({"export.data": b" " * (MAX_FILE_BYTES + 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(FormatError, match="larger than the 10 MiB"):
        parse(bomb)


def test_zip_member_lying_about_its_size_is_not_read_past_the_cap():
    """A member whose central-directory size claims 100 bytes but which inflates to 11 MiB."""
    bomb = bytearray(zipped({"export.data": b"[" + b" " * (MAX_FILE_BYTES + 1024 * 1024)}))
    central = bomb.rindex(b"PK\x01\x02")
    struct.pack_into("<I", bomb, central + 24, 100)  # uncompressed size in the central directory
    with pytest.raises(UserError) as info:
        parse(bytes(bomb), "1password-1pux")
    assert "damaged inside the zip" in str(info.value) and "\n" not in str(info.value)


def test_too_many_items_refused():
    items = [{"uuid": str(i), "categoryUuid": "001", "overview": {"title": "x"}}
             for i in range(MAX_ITEMS + 1)]
    data = json.dumps({"accounts": [{"vaults": [{"attrs": {"name": "V"}, "items": items}]}]})
    with pytest.raises(FormatError, match="more than 100000 entries"):
        parse(data.encode(), "1password-1pux")
    proton = {"version": "1", "vaults": {"s": {"name": "V", "items": [{}] * (MAX_ITEMS + 1)}}}
    with pytest.raises(FormatError, match="more than 100000 entries"):
        parse(json.dumps(proton).encode(), "protonpass-json")


def test_deep_nesting_in_export_data_is_one_line():
    deep = b'{"accounts": [{"vaults": ' + b"[" * 50_000 + b"]" * 50_000 + b"}]}"
    with pytest.raises(UserError):
        parse(zipped({"export.data": deep}))


def test_escape_sequences_in_names_never_reach_a_message():
    samples = [
        onepux(op_export_data([op_vault(ESC, [op_item(ESC, category="002"),
                                              op_item(ESC, totps=["not base32 !"])])])),
        pp_zip(pp_export({ESC: [pp_item(ESC, kind="creditCard"),
                                pp_item(ESC, totp="not base32 !")]})),
        lp_csv([["http://sn", "", "", "", "", ESC, ESC, "0"],
                ["https://x", "u", "p", "not base32 !", "", ESC, ESC, "0"]]),
        pa_export([pa_entry("otpauth://totp/" + ESC + "?secret=0000", name=ESC)]),
    ]
    for data in samples:
        items = parse(data).items
        refused = [i for i in items if i.refused]
        assert refused, data[:40]
        for item in refused:
            shown = f"{item.label} {item.refused}"
            assert "\x1b" not in shown and "\x07" not in shown, shown
        # Customer names and titles the vault would get are printable, one line.
        for row in plan(items, existing_otps=[], existing_titles={}):
            assert row.customer.isprintable() and row.title.isprintable()


def test_zip_holding_an_importable_file_names_it():
    data = zipped({"readme.md": b"# exports", "codes.txt": otpauth("totp", "A:a", B32_SHA1)
                   .encode()})
    with pytest.raises(FormatError, match="unpack it and import codes.txt"):
        detect(data)


def test_zip_holding_nothing_we_read_says_so_not_unpack_it():
    data = zipped({"photo.bin": bytes(range(256)) * 4, "notes.txt": b"hello"})
    with pytest.raises(FormatError) as info:
        detect(data)
    message = str(info.value)
    assert "none of the files in it" in message and "unpack" not in message
    assert "photo.bin" in message and "notes.txt" in message


def test_encrypted_proton_pass_exports_say_how_to_decrypt():
    armored = b"-----BEGIN PGP MESSAGE-----\n\nwy4ECQMI...\n-----END PGP MESSAGE-----\n"
    with pytest.raises(FormatError, match="gpg --decrypt"):
        detect(armored)
    with pytest.raises(FormatError, match="gpg --decrypt"):
        detect(zipped({"Proton Pass/data.pgp": armored}))


def test_truncated_password_protected_proton_authenticator_export_is_one_line():
    # Reading the encrypted export itself: tests/formats/test_proton_encrypted.py.
    data = json.dumps({"version": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
                       "content": "c2VjcmV0"}).encode()
    assert detect(data) == "proton-authenticator"
    with pytest.raises(FormatError, match="Proton Authenticator export: the encrypted content is"):
        parse(data)


def test_header_only_csvs_import_nothing():
    for data in (lp_csv([]), op_csv([]), pp_csv([])):
        assert parse(data).items == []
    assert LP_CSV_HEADER[3] == "totp"


def valid_samples() -> list[bytes]:
    return [
        small_onepux(),
        small_proton_zip(),
        json.dumps(pp_export({"V": [pp_item("A", totp=B32_SHA1)]})).encode(),
        pa_export([pa_entry(otpauth("totp", "A:a", B32_SHA1))]),
        lp_csv([["https://x", "u", "p", B32_SHA1, "", "n", "A\\B", "0"]]),
        op_csv([["T", "https://x", "u", "p", B32_SHA1, "false", "false", "", ""]]),
        pp_csv([["login", "n", "", "", "u", "p", "", B32_SHA1, "1", "2", "V"]]),
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(valid_samples()), st.data())
def test_mutated_files_only_ever_raise_user_errors(sample, data):
    """Flip, cut or splice bytes of valid files (zips included): an answer or a one-line
    UserError, never another exception."""
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
        parse(bytes(blob))
    except UserError as exc:
        assert "\n" not in str(exc)


def test_an_oversized_field_refuses_its_item_and_says_why():
    """Nothing is cut silently: a password or note over 64 KiB refuses that one item, named."""
    long_text = "x" * (64 * 1024 + 1)
    big = op_item("Big", username="u", password=long_text, totps=[B32_SHA1])
    fine = op_item("Fine", username="v", totps=[B32_SHA1])
    big_item, fine_item = parse(onepux(op_export_data([op_vault("V", [big, fine])]))).items
    assert big_item.refused == "password is too long" and big_item.label == "Big"
    assert not fine_item.refused
    note = pp_item("Noted", note=long_text, totp=B32_SHA1)
    (item,) = parse(json.dumps(pp_export({"V": [note]})).encode()).items
    assert item.refused == "note is too long"
