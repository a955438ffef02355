"""Which format a file is in, decided by its content (never by its name)."""

from __future__ import annotations

from companion.formats import aegis, andotp, bitwarden, keepass, otpc_json, twofas
from companion.formats.csvfile import is_bitwarden, is_keepass
from companion.formats.qr_image import is_image
from companion.formats.records import FormatError, load_json


def _json_format(doc: object) -> str | None:
    if otpc_json.looks_like(doc):
        return "otpc-json"
    if aegis.looks_like(doc):
        return "aegis"
    if twofas.looks_like(doc):
        return "2fas"
    if bitwarden.looks_like(doc):
        return "bitwarden-json"
    if andotp.looks_like(doc):
        return "andotp"
    return None


def detect(data: bytes) -> str:
    """The format name of `data`, or FormatError saying what it looked like."""
    if is_image(data):
        return "qr"
    if data.startswith(b"PK\x03\x04"):
        raise FormatError("this is a zip archive: unpack it and import the file inside")
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"otpauth://", b"otpauth-migration://")):
        return "otpauth"
    if head.startswith((b"{", b"[")):
        doc = load_json(data, "JSON file")
        found = _json_format(doc)
        if found:
            return found
        raise FormatError("a JSON file, but not one of the formats we import")
    if keepass.is_xml(data):
        return "keepass-xml"
    if is_bitwarden(data):
        return "bitwarden-csv"
    if is_keepass(data):
        return "keepassxc-csv"
    if is_text(data):
        if b"otpauth://" in data[:4096] or b"otpauth-migration://" in data[:4096]:
            return "otpauth"
        raise FormatError(
            "unrecognised file: expected otpauth URIs, a QR image, or an Aegis, 2FAS, Bitwarden, "
            "KeePass(XC), andOTP or OTP Companion export"
        )
    # Binary and not an image: andOTP's encrypted backup is the only binary format we read.
    if len(data) >= andotp.MIN_ENCRYPTED - 4:
        return "andotp"
    raise FormatError("unrecognised binary file")


def is_text(data: bytes) -> bool:
    sample = data[:4096]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the sample's end
            return False
    return b"\x00" not in sample
