"""One `otpauth://` URI a line: what most authenticator apps import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from companion.importers.records import Item
from companion.otpauth import build_uri


def export_params(item: Item):
    """The item's OtpParams, with the entry's title as issuer when the OTP names none (so a phone
    app shows something useful)."""
    assert item.otp is not None
    params = item.otp
    if not params.issuer and item.title:
        params = replace(params, issuer=item.title)
    return params


def to_otpauth(items: Iterable[Item]) -> bytes:
    lines = [build_uri(export_params(item)) for item in items if item.otp is not None]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
