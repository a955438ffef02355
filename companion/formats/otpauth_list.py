"""A text file of `otpauth://` URIs, one a line (Ente Auth, Aegis, Authy exporters and others),
or a single URI. `otpauth-migration://` lines (Google Authenticator) are accepted in the same file."""

from __future__ import annotations

from companion.errors import UserError
from companion.formats.gauth import PREFIX as MIGRATION_PREFIX
from companion.formats.gauth import parse_migration_uris
from companion.formats.records import (
    ACCEPT_SHORT_SECRETS,
    FormatError,
    Item,
    Parsed,
    check_count,
    export_params,
    guarded,
    item_error,
    otp_item,
)
from companion.otpauth import parse_uri


def uri_lines(data: bytes) -> list[str]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("otpauth list: the file is not UTF-8 text") from None
    return [line.strip() for line in content.splitlines()]


def label_of(uri: str) -> str:
    """A label for messages, from the URI's path only (never the query, which holds the secret)."""
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(uri).path.lstrip("/"))[:80]
    except ValueError:
        return ""


def uri_item(number: int, line: str):
    if not line.lower().startswith("otpauth://"):
        raise item_error(number, "", "not an otpauth:// URI")
    try:
        params, warnings = parse_uri(line, force=ACCEPT_SHORT_SECRETS.get())
    except UserError as exc:  # the label is worked out only for the message (10,000-URI imports)
        raise item_error(number, label_of(line), str(exc)) from None
    return otp_item(number, params, warnings)


def parse(data: bytes, password=None) -> Parsed:
    lines = uri_lines(data)
    check_count(len(lines), "otpauth list")
    parsed = Parsed("otpauth")
    number = 0
    migration: list[str] = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith(MIGRATION_PREFIX):
            migration.append(line)
            continue
        number += 1
        parsed.items.append(guarded(number, uri_item, number, line))
    if migration:
        items, notes = parse_migration_uris(migration, number + 1)
        parsed.items.extend(items)
        parsed.notes.extend(notes)
        parsed.format = "google-authenticator" if number == 0 else "otpauth"
    if number == 0 and not migration:
        raise FormatError("otpauth list: no otpauth:// URI found in the file")
    return parsed


def dump(items: list[Item], password: str | None = None) -> bytes:
    """One URI a line: what most authenticator apps import."""
    from companion.otpauth import build_uri

    lines = [build_uri(export_params(item)) for item in items if item.otp is not None]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
