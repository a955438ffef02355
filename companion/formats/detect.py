"""Which format a file is in, decided by its content (never by its name)."""

from __future__ import annotations

from companion.formats import (
    aegis,
    andotp,
    archives,
    bitwarden,
    ente,
    freeotp,
    keepass,
    lastpass,
    onepassword,
    otpc_json,
    proton,
    raivo,
    stratum,
    twofas,
)
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
    if ente.looks_like(doc):
        return "ente"
    if freeotp.looks_like(doc):
        return "freeotp"
    if stratum.looks_like(doc):
        return "stratum"
    if raivo.looks_like(doc):  # before andOTP: both are arrays of objects with a secret
        return "raivo"
    if andotp.looks_like(doc):
        return "andotp"
    if onepassword.looks_like(doc):
        return "1password-1pux"
    if proton.looks_like_pass(doc):
        return "protonpass-json"
    if proton.looks_like_authenticator(doc):
        return "proton-authenticator"
    return None


def detect(data: bytes) -> str:
    """The format name of `data`, or FormatError saying what it looked like."""
    if is_image(data):
        return "qr"
    if stratum.is_encrypted(data):
        return "stratum"
    if archives.is_zip(data):
        if raivo.is_zip(data):  # password-protected members: before the generic zip reading
            return "raivo"
        return archives.zip_format(data)
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"otpauth://", b"otpauth-migration://")):
        return "otpauth"
    if head.startswith((b"{", b"[")) and is_text(data):  # an encrypted file may start with '{'
        doc = load_json(data, "JSON file")
        found = _json_format(doc)
        if found:
            return found
        raise FormatError("a JSON file, but not one of the formats we import")
    if keepass.is_xml(data):
        return "keepass-xml"
    if freeotp.is_xml(data):
        return "freeotp"
    if is_bitwarden(data):
        return "bitwarden-csv"
    if is_keepass(data):
        return "keepassxc-csv"
    for is_app_csv, name in _CSV_FORMATS:  # by header, so a Latin-1 file is not "encrypted"
        if is_app_csv(data):
            return name
    if is_text(data):
        if proton.pgp_message(data):
            raise FormatError(proton.pgp_message(data))
        unknown_csv = csv_we_do_not_read(data)
        if unknown_csv:
            raise FormatError(unknown_csv)
        if b"otpauth://" in data[:4096] or b"otpauth-migration://" in data[:4096]:
            return "otpauth"
        raise FormatError(
            "unrecognised file: expected otpauth URIs, a QR image, or one of the exports listed by "
            "`otpc import --help` (docs/import.md)"
        )
    known = binary_kind(data)
    if known:
        raise FormatError(known)
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


# Binary files people pick by mistake, and what to do instead (never "wrong password").
_MAGIC = (
    (b"SQLite format 3\x00", "an SQLite database (an app's internal storage, not an export): "
     "export from the app instead"),
    (b"\x03\xd9\xa2\x9a", "a KeePass database (.kdbx): export it from KeePassXC as CSV or XML "
     "(Database → Export) and import that"),
    (b"GIF8", "a GIF image: we read QR codes from PNG or JPEG; save the screenshot as PNG"),
    (b"\xff\xfe", "UTF-16 text: save the file as UTF-8 and import it again"),
    (b"\xfe\xff", "UTF-16 text: save the file as UTF-8 and import it again"),
    (b"\xac\xed\x00\x05", "a FreeOTP backup (Java serialization), which we cannot read: "
     "show each account's QR code in FreeOTP and import a screenshot instead"),
)


def binary_kind(data: bytes) -> str:
    """What a non-importable binary file is, and what to do; "" when we cannot tell."""
    for magic, message in _MAGIC:
        if data.startswith(magic):
            return "this is " + message
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "this is a WEBP image: we read QR codes from PNG or JPEG; save it as PNG"
    return ""


# Password managers' CSVs, by their header (they hold otpauth URIs, so they must never pass for
# URI lists: issue 12 item 9).
_CSV_FORMATS = (
    (onepassword.is_csv, "1password-csv"),
    (proton.is_pass_csv, "protonpass-csv"),
    (lastpass.is_csv, "lastpass-csv"),
)

# CSV exports holding otpauth URIs that we do not read yet: (header columns, what it is).
_CSV_APPS: tuple[tuple[set[str], str], ...] = ()


def csv_we_do_not_read(data: bytes) -> str:
    """A message for a CSV file (a header line, then rows) that is none of our CSV formats."""
    from companion.formats.csvfile import header_names

    first = data[:4096].decode("utf-8-sig", errors="replace").lstrip().split("\n", 1)[0].strip()
    if "," not in first or first.lower().startswith(("otpauth", "#")):
        return ""
    names = header_names(data)
    for columns, app in _CSV_APPS:
        if columns <= names:
            return (f"this is {app}, which we do not read yet: export the accounts as otpauth:// "
                    "URIs or to Bitwarden/KeePassXC, or use the app's QR codes")
    return ("a CSV file whose columns are not a Bitwarden or KeePassXC export; the formats we read "
            "are listed in docs/import.md")
