"""CSV exports of password managers, read by header name: KeePassXC (Group, Title, …, TOTP) and
Bitwarden (folder, …, login_totp)."""

from __future__ import annotations

import csv
import io

from companion.formats.records import MAX_FIELD_CHARS, FormatError, check_count

KEEPASS_COLUMNS = {"group", "title", "username", "password", "url", "notes", "totp"}
BITWARDEN_COLUMNS = {"name", "login_uri", "login_username", "login_password", "login_totp"}


def rows(data: bytes, what: str) -> list[dict[str, str]]:
    """Rows as {lowercased header: value}; one-line errors for broken CSV."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{what}: the file is not UTF-8 text") from None
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        reader = csv.reader(io.StringIO(content, newline=""), strict=True)
        header = next(reader, None)
        if not header:
            raise FormatError(f"{what}: the file is empty")
        names = [h.strip().lower() for h in header]
        out = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            out.append(dict(zip(names, record, strict=False)))
            check_count(len(out), what)
        return out
    except csv.Error as exc:
        raise FormatError(f"{what}: broken CSV ({exc})") from None


def header_names(data: bytes) -> set[str]:
    first = data[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
    if not first:
        return set()
    try:
        return {h.strip().lower() for h in next(csv.reader(first))}
    except csv.Error:
        return set()


def is_keepass(data: bytes) -> bool:
    names = header_names(data)
    return {"title", "totp"} <= names and len(names & KEEPASS_COLUMNS) >= 5


def is_bitwarden(data: bytes) -> bool:
    return len(header_names(data) & BITWARDEN_COLUMNS) >= 3 and "login_totp" in header_names(data)
