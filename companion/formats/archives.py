"""Zip archives: the exports that are zips (1Password 1PUX, Proton Pass), read from memory with
every size checked, and a useful message for a zip that is none of them.

A zip is hostile input like any other file: a member's declared size can lie (we stop reading at
the cap whatever it says), a member can be a compression bomb (same cap), names can hold escape
sequences (shown through `label_text`), and the archive can be damaged (one line).
"""

from __future__ import annotations

import io
import zipfile
import zlib

from companion.formats.records import MAX_FILE_BYTES, FormatError, label_text

ZIP_MAGIC = b"PK\x03\x04"
MAX_MEMBERS_LOOKED_AT = 20  # members whose content detection may read, for the "unpack it" advice
ONEPUX_DATA = "export.data"
PROTON_PASS_DIR = "Proton Pass/"


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise FormatError(f"{what}: the zip archive is damaged or truncated") from None


def read_member(archive: zipfile.ZipFile, name: str, what: str) -> bytes:
    """One member's bytes, never more than MAX_FILE_BYTES whatever its header claims."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise FormatError(f"{what}: {label_text(name)} is missing from the archive") from None
    if info.flag_bits & 0x1:
        raise FormatError(f"{what}: {label_text(name)} is encrypted inside the zip")
    if info.file_size > MAX_FILE_BYTES:
        raise FormatError(f"{what}: {label_text(name)} is larger than the "
                          f"{MAX_FILE_BYTES // 1024 // 1024} MiB we import")
    try:
        with archive.open(info) as member:
            content = member.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        raise FormatError(f"{what}: {label_text(name)} is damaged inside the zip") from None
    if len(content) > MAX_FILE_BYTES:  # the header lied about the size (a zip bomb)
        raise FormatError(f"{what}: {label_text(name)} unpacks to more than "
                          f"{MAX_FILE_BYTES // 1024 // 1024} MiB")
    return content


def proton_pass_member(names: list[str]) -> str:
    """The member holding a Proton Pass export (`Proton Pass/data.json`), or ""."""
    for name in names:
        if name.startswith(PROTON_PASS_DIR) and name.count("/") == 1 and name.endswith(
            ("/data.json", "/data.pgp")
        ):
            return name
    return ""


def zip_format(data: bytes) -> str:
    """The format of a zip export, or FormatError saying what the archive holds and what to do."""
    archive = open_zip(data, "zip archive")
    names = archive.namelist()
    if ONEPUX_DATA in names:
        return "1password-1pux"
    proton = proton_pass_member(names)
    if proton.endswith(".json"):
        return "protonpass-json"
    if proton:
        raise FormatError(
            "this is an encrypted Proton Pass export (data.pgp): export again without encryption, "
            "or decrypt it first with `gpg --decrypt FILE.pgp > export.zip` and import that"
        )
    inner = importable_member(archive, names)
    if inner:
        raise FormatError("this is a zip archive, which we do not read as a whole: unpack it and "
                          f"import {label_text(inner)}")
    shown = ", ".join(label_text(n, 40) for n in names[:5]) + (", …" if len(names) > 5 else "")
    raise FormatError(
        "this is a zip archive, and none of the files in it is an export we read "
        f"({shown or 'it is empty'}); the formats we read are listed in docs/import.md"
    )


def importable_member(archive: zipfile.ZipFile, names: list[str]) -> str:
    """The first member (of the first few) whose content is a format we detect, or ""."""
    from companion.formats.detect import detect

    budget = MAX_FILE_BYTES
    for name in names[:MAX_MEMBERS_LOOKED_AT]:
        info = archive.getinfo(name)
        if info.is_dir() or info.file_size > budget or info.flag_bits & 0x1:
            continue
        try:
            content = read_member(archive, name, "zip archive")
            budget -= len(content)
            # Binary guesses (andOTP's encrypted backup, images) prove nothing about a member.
            if content.strip() and not is_zip(content) and detect(content) not in ("andotp", "qr"):
                return name
        except FormatError:
            continue
    return ""
