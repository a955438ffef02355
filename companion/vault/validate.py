"""Checks on what users type into the vault, and how we find things by name."""

from __future__ import annotations

from collections.abc import Collection

from companion.errors import UserError
from companion.vault.model import Entry

MAX_TEXT = 64 * 1024


def clean_text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise UserError(f"{what} must be text")
    if len(value) > MAX_TEXT:
        raise UserError(f"{what} is too long ({MAX_TEXT} characters at most)")
    return value


def clean_name(value: object, what: str) -> str:
    """Customer names and titles: trimmed, non-empty, printable. A '/' is allowed (the CLI takes
    `Customer/Title` with '\\/' for a slash inside a name, or --customer and --title)."""
    text = clean_text(value, what).strip()
    if not text:
        raise UserError(f"{what} must not be empty")
    if not text.isprintable():
        raise UserError(f"{what} must not contain control characters")
    if len(text) > 200:
        raise UserError(f"{what} is too long (200 characters at most)")
    return text


def clean_urls(urls: Collection[str] | str) -> tuple[str, ...]:
    if isinstance(urls, str):
        urls = [urls]
    return tuple(clean_text(u, "url").strip() for u in urls if str(u).strip())


def shown(text: object) -> str:
    """A user-supplied name, quoted, shortened and made printable, safe inside a one-line message."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return repr(text if len(text) <= 60 else text[:57] + "...")


def haystack(e: Entry) -> str:
    """What `search` looks through: customer, title, username, URLs, tags, issuer, account."""
    parts = [e.customer, e.title, e.username, *e.urls, *e.tags]
    if e.otp:
        parts += [e.otp.issuer, e.otp.account]
    return "\n".join(parts).casefold()
