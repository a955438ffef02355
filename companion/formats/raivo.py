"""Raivo OTP's export: `raivo-otp-export.zip`, password-protected, holding `raivo-otp-export.json`
(and an HTML copy). Raivo zips with SSZipArchive, which encrypts with WinZip AES-256; older zips
and re-zipped files may use the legacy ZipCrypto: pyzipper reads both. The unzipped JSON is
accepted too.

JSON: an array of {issuer, account, secret, algorithm, digits, kind (TOTP/HOTP), timer, counter,
pinned, iconType, iconValue}, every value a string ("6", "30", "false").
"""

from __future__ import annotations

import io
import zipfile

from companion.formats.ciphers import wrong_password
from companion.formats.records import (
    MAX_FILE_BYTES,
    FormatError,
    Item,
    Parsed,
    PasswordSource,
    check_count,
    guarded,
    item_error,
    load_json,
    no_password,
    otp_from_fields,
    otp_item,
    otp_label,
    text,
)

WHAT = "Raivo OTP export"
MEMBER = "raivo-otp-export.json"
KINDS = {"TOTP": "totp", "HOTP": "hotp"}
MAX_MEMBERS = 64


def looks_like(doc: object) -> bool:
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(a, dict) and "kind" in a and "timer" in a for a in doc[:5])
    )


def is_zip(data: bytes) -> bool:
    """A zip whose directory names Raivo's JSON (names are readable even when encrypted)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n.rsplit("/", 1)[-1] == MEMBER for n in archive.namelist()[:MAX_MEMBERS])
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


def unzip(data: bytes, password: PasswordSource) -> bytes:
    import pyzipper

    bad_zip = (zipfile.BadZipFile, pyzipper.BadZipFile)  # pyzipper has its own class
    try:
        archive = pyzipper.AESZipFile(io.BytesIO(data))
    except (*bad_zip, ValueError, OSError, EOFError):
        raise FormatError(f"{WHAT}: the zip file is damaged") from None
    with archive:
        infos = [i for i in archive.infolist()[:MAX_MEMBERS] if i.filename.endswith(MEMBER)]
        if not infos:
            raise FormatError(f"{WHAT}: the zip holds no {MEMBER}")
        info = infos[0]
        if info.file_size > MAX_FILE_BYTES:
            raise FormatError(f"{WHAT}: {MEMBER} is larger than our 10 MiB limit")
        pwd = password().encode("utf-8") if info.flag_bits & 0x1 else None
        try:
            with archive.open(info, pwd=pwd) as member:
                content = member.read(MAX_FILE_BYTES + 1)
        except RuntimeError as exc:  # pyzipper/zipfile: "Bad password for file …"
            if "password" in str(exc).lower():
                raise wrong_password(WHAT) from None
            raise FormatError(f"{WHAT}: the zip cannot be read") from None
        except bad_zip:
            # A wrong password that passed the 1-2 byte check fails the CRC or HMAC here.
            if pwd is not None:
                raise wrong_password(WHAT) from None
            raise FormatError(f"{WHAT}: the zip file is damaged") from None
        except (NotImplementedError, ValueError, OSError, EOFError):
            raise FormatError(f"{WHAT}: the zip file is damaged or uses an unknown method") from None
    if len(content) > MAX_FILE_BYTES:
        raise FormatError(f"{WHAT}: {MEMBER} is larger than our 10 MiB limit")
    return content


def parse(data: bytes, password: PasswordSource = no_password) -> Parsed:
    zipped = data.startswith(b"PK\x03\x04")
    doc = load_json(unzip(data, password) if zipped else data, WHAT)
    if not isinstance(doc, list):
        raise FormatError(f"{WHAT}: expected a JSON array of OTPs")
    check_count(len(doc), WHAT)
    parsed = Parsed("raivo")
    for number, entry in enumerate(doc, start=1):
        parsed.items.append(guarded(number, parse_entry, number, entry))
    return parsed


def parse_entry(number: int, entry: object) -> Item:
    if not isinstance(entry, dict):
        raise item_error(number, "", "OTP is not a JSON object")
    try:
        issuer = text(entry.get("issuer"), "issuer").strip()
        account = text(entry.get("account"), "account").strip()
    except ValueError as exc:
        raise item_error(number, "", str(exc)) from None
    label = otp_label(issuer, account)
    kind = KINDS.get(str(entry.get("kind") or "TOTP").upper())
    if kind is None:
        return Item(number=number, label=label, refused="only TOTP and HOTP are supported")
    params, warnings = otp_from_fields(
        number,
        label,
        kind=kind,
        secret=entry.get("secret"),
        algorithm=entry.get("algorithm") or "SHA1",
        digits=entry.get("digits") or 6,
        period=entry.get("timer") or 30,
        counter=entry.get("counter") or 0,
        issuer=issuer,
        account=account,
    )
    tags = ("favorite",) if str(entry.get("pinned")).lower() == "true" else ()
    return otp_item(number, params, warnings, tags=tags)
