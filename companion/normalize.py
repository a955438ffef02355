"""Normalise and validate base32 OTP secrets, and word what we did for the user.

Users paste secrets with spaces, hyphens, lowercase letters and `=` padding. RFC 4648 base32 is
uppercase A–Z and 2–7, so we strip and uppercase (and say so), then refuse anything else with the
character and its position, never echoing the secret itself.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from companion.errors import UserError

ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_CANONICAL = re.compile("[A-Z2-7]+")
MIN_BITS = 80  # below this we refuse unless forced: 16 base32 characters, what services still issue
WARN_BITS = 128  # RFC 4226 asks for 128 bits; below it we warn
# A base32 string whose length mod 8 is one of these cannot come from whole bytes (RFC 4648 §6).
_BAD_REMAINDERS = {1, 3, 6}


class SecretError(UserError):
    """A secret that is not valid base32, or too weak."""


@dataclass(frozen=True)
class NormalizedSecret:
    secret: str  # canonical: uppercase base32, no padding, no separators
    bits: int
    notes: tuple[str, ...] = field(default=())  # what we changed, to show the user
    warnings: tuple[str, ...] = field(default=())


def secret_bytes(secret: str) -> bytes:
    """Decode a canonical (unpadded) base32 secret."""
    padded = secret + "=" * (-len(secret) % 8)
    try:
        return base64.b32decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise SecretError("secret is not valid base32") from exc


def normalize_secret(raw: str, *, force: bool = False) -> NormalizedSecret:
    """Return the canonical form of `raw`, or raise SecretError naming the first bad character."""
    if not isinstance(raw, str):
        raise SecretError("secret must be text")
    notes: list[str] = []
    if _CANONICAL.fullmatch(raw):
        upper = raw  # the usual case (URIs, exports): nothing to strip, convert or point at
    else:
        upper = _canonical(raw, notes)
    if len(upper) % 8 in _BAD_REMAINDERS:
        raise SecretError(
            f"secret has an impossible base32 length ({len(upper)} characters): "
            "a character is missing or extra"
        )
    # Every character is base32 and the length is possible, so it decodes to this many bytes
    # (secret_bytes would only confirm it, slowly: base64's base32 decoder is pure Python).
    bits = len(upper) * 5 // 8 * 8
    warnings: list[str] = []
    if bits < MIN_BITS and not force:
        raise SecretError(
            f"secret is only {bits} bits; at least {MIN_BITS} are required (use --force to accept it)"
        )
    if bits < WARN_BITS:
        warnings.append(f"secret is only {bits} bits; {WARN_BITS} or more is recommended")
    return NormalizedSecret(upper, bits, tuple(notes), tuple(warnings))


def _canonical(raw: str, notes: list[str]) -> str:
    """`raw` stripped of separators and padding and uppercased (saying so in `notes`), or
    SecretError naming the first character that is not base32."""
    stripped = "".join(ch for ch in raw if ch not in " \t\r\n-")
    if stripped != raw:
        notes.append("removed spaces and hyphens")
    unpadded = stripped.rstrip("=")
    if unpadded != stripped:
        notes.append("removed '=' padding")
    upper = unpadded.upper()
    if upper != unpadded:
        notes.append("converted lowercase letters to uppercase (base32 is uppercase)")
    if not upper:
        raise SecretError("secret is empty")
    for pos, ch in enumerate(upper, start=1):
        if ch not in ALPHABET:
            shown = ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
            hint = ""
            if ch in "0189":
                hint = " (base32 has no 0, 1, 8 or 9: check for O, I or B)"
            elif ch == "=":
                hint = " ('=' padding may only come at the end)"
            raise SecretError(
                f"invalid character '{shown}' at position {pos} of the secret: "
                f"base32 allows only A-Z and 2-7{hint}"
            )
    return upper


def name_key(name: str) -> str:
    """How customer names and titles are compared: Unicode NFC, then case-folded (and NFC again,
    as folding can decompose). A composed "Müller" and a decomposed "Mu\u0308ller" are one name."""
    folded = str(name).casefold()
    if folded.isascii():  # the common case, and NFC cannot change ASCII: skip the tables
        return folded
    import unicodedata

    folded = unicodedata.normalize("NFC", str(name)).casefold()
    return unicodedata.normalize("NFC", folded)


class UrlError(UserError):
    """An entry URL that is not an http(s) URL."""


def login_url(raw: str) -> str:
    """An entry's login URL: an absolute http:// or https:// URL with a host, trimmed; anything else
    (a bare host, javascript:, file:, an app link) is refused with one line naming the rule."""
    from urllib.parse import urlsplit

    text = str(raw).strip()
    shown = text if len(text) <= 60 and text.isprintable() else "that URL"
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        hint = ""
        if parts is not None and not parts.scheme and "." in text and " " not in text:
            hint = f" (did you mean https://{shown}?)"
        raise UrlError(f"{shown!r} is not an http(s) URL{hint}: entry URLs start with https:// or http://")
    return text
