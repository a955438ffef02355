"""Password-manager logins → Items, shared by the 1Password, Proton Pass and LastPass readers.

A login's one-time password is an otpauth URI, `steam://BASE32` or a bare base32 secret, read by
the same code as Bitwarden's `login.totp`. A login holding several one-time passwords (1Password
and Proton Pass allow it) gives one entry per OTP: nothing in the file is dropped silently.
"""

from __future__ import annotations

from dataclasses import replace

from companion.formats.bitwarden import totp_params
from companion.formats.records import Item, guarded


def login_items(
    number: int,
    *,
    title: str,
    username: str = "",
    password: str = "",
    urls: tuple[str, ...] = (),
    notes: str = "",
    otps: list[str] | tuple[str, ...] = (),
    customer: str = "",
    group_path: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    warnings: tuple[str, ...] = (),
) -> list[Item]:
    """The entries of one login: the login itself (with its first OTP), then one entry per further
    OTP. A broken OTP refuses only the entry it belongs to."""
    base = Item(
        number=number,
        label=title or username,
        title=title or username or f"Entry {number}",
        customer=customer,
        group_path=group_path,
        username=username,
        password=password,
        urls=tuple(u for u in urls if u),
        notes=notes,
        tags=tags,
        warnings=warnings,
    )
    values = [v.strip() for v in otps if v and v.strip()]
    if not values:
        return [base]
    out = [guarded(number, with_otp, base, values[0])]
    for extra in values[1:]:
        more = replace(base, password="", notes="",
                       warnings=(*warnings, "another one-time password of the same item"))
        out.append(guarded(number, with_otp, more, extra))
    return out


def with_otp(item: Item, value: str) -> Item:
    params, warnings = totp_params(value, item.number, item.label, item.title, item.username)
    return replace(item, otp=params, warnings=(*item.warnings, *warnings))


def split_urls(value: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in value.split(",") if u.strip())
