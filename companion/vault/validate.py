"""Checks on what users type into the vault, and how we find things by name."""

from __future__ import annotations

from collections.abc import Callable, Collection

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
    """Customer names and titles: trimmed, non-empty, printable, no '/' (it separates them)."""
    text = clean_text(value, what).strip()
    if not text:
        raise UserError(f"{what} must not be empty")
    if "/" in text:
        raise UserError(f"{what} must not contain '/' (it separates Customer/Title)")
    if any(not ch.isprintable() for ch in text):
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


def resolve(ref: object, items: dict, name_of: Callable[[object], str]) -> object | None:
    """Find by exact id, by name (case-insensitive), or by a unique id prefix of 4+ characters."""
    ref = str(ref or "").strip()
    if not ref:
        return None
    if ref in items:
        return items[ref]
    folded = ref.casefold()
    by_name = [item for item in items.values() if name_of(item).casefold() == folded]
    if len(by_name) == 1:
        return by_name[0]
    if len(ref) >= 4 and all(ch in "0123456789abcdef" for ch in folded):
        by_prefix = [item for key, item in items.items() if key.startswith(folded)]
        if len(by_prefix) == 1:
            return by_prefix[0]
        if len(by_prefix) > 1:
            raise UserError(f"{shown(ref)} matches {len(by_prefix)} ids; give more characters")
    return None
