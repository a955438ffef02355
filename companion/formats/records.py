"""The plain record every importer produces and every exporter consumes, and the helpers that turn
a file's raw OTP fields into checked OtpParams through the same code as `otpc otp set`.

Nothing here touches the vault. Errors name the entry (its number in the file and a label) and the
reason, never the secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from companion.errors import UserError
from companion.otp import OtpError, OtpParams
from companion.otp_input import from_fields
from companion.otpauth import parse_uri

MAX_FILE_BYTES = 10 * 1024 * 1024  # no real export comes near this
MAX_ITEMS = 100_000
MAX_FIELD_CHARS = 64 * 1024  # one title, note or password
# `import --force`: accept secrets shorter than 80 bits and 4-5 digit codes, as `otp set --force`
# does. Our own export
# always accepts them (the user accepted them once already); set by formats.parse.
ACCEPT_SHORT_SECRETS: ContextVar[bool] = ContextVar("accept_short_secrets", default=False)


class FormatError(UserError):
    """A file that cannot be imported as a whole (format, decryption, size)."""


class ItemError(UserError):
    """One entry of a file is broken: it is skipped and listed (the whole import is refused only
    with --strict)."""

    def __init__(self, message: str, number: int = 0, label: str = "", reason: str = ""):
        super().__init__(message)
        self.number, self.label, self.reason = number, label, reason or message


class PasswordRequired(UserError):
    """The file is encrypted and no password was supplied."""


# Called by an importer only when the file really is encrypted.
PasswordSource = Callable[[], str]


def no_password() -> str:
    raise PasswordRequired("this file is encrypted: a password is needed to read it")


@dataclass(frozen=True)
class Item:
    """One password entry (with an optional OTP) as read from, or written to, a file."""

    number: int  # 1-based position in the file, for messages
    label: str  # what the file calls it (issuer: account, or the title), for messages
    title: str = ""
    customer: str = ""  # the group/folder the file puts it in ("" = none)
    group_path: tuple[str, ...] = ()  # nested groups (KeePass), outermost first
    username: str = ""
    password: str = field(default="", repr=False)
    urls: tuple[str, ...] = ()
    notes: str = ""
    tags: tuple[str, ...] = ()
    otp: OtpParams | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()
    refused: str = ""  # non-empty: a kind of entry we cannot import (reported, not fatal)
    customer_notes: str = ""


@dataclass
class Parsed:
    """What one importer found in one file."""

    format: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # file-level remarks (e.g. missing batches)


def item_error(number: int, label: str, reason: str) -> ItemError:
    shown = label_text(label)
    named = f"entry {number} ({shown})" if shown else f"entry {number}"
    return ItemError(f"{named}: {reason}", number, shown, reason)


def guarded(number: int, build: Callable[..., Item], *args, **kwargs) -> Item:
    """`build(*args, **kwargs)`, or a refused Item naming why when that one entry is broken: one bad entry must
    not abort a 500-entry import (--strict turns refused entries into an error)."""
    try:
        return build(*args, **kwargs)
    except ItemError as exc:
        return Item(number=number, label=exc.label, refused=exc.reason)


def label_text(label: str, limit: int = 60) -> str:
    """A label safe for a one-line message: printable, single line, bounded."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(label or "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text(value: object, what: str = "field") -> str:
    """A string field from untrusted data: None → "", numbers → str, bounded length."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    if len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"{what} is too long")
    return value


def whole(value: object, what: str, default: int) -> int:
    """An integer field from untrusted data ("30" and 30 both accepted)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 20:
        return int(value.strip())
    raise ValueError(f"{what} must be a whole number")


def otp_from_uri(uri: str, number: int, label: str) -> tuple[OtpParams, list[str]]:
    try:
        return parse_uri(uri, force=ACCEPT_SHORT_SECRETS.get())
    except UserError as exc:
        raise item_error(number, label, str(exc)) from None


def otp_from_fields(
    number: int,
    label: str,
    *,
    kind: str = "totp",
    secret: object,
    algorithm: object = "SHA1",
    digits: object = 6,
    period: object = 30,
    counter: object = 0,
    issuer: object = "",
    account: object = "",
) -> tuple[OtpParams, list[str]]:
    """Checked OtpParams from separate fields (the JSON formats): companion.otp_input, the builder
    `otpc otp set` and the HTTP API use too."""
    try:
        if not isinstance(secret, str):
            raise UserError("secret is missing or not text")
        built = from_fields(
            secret,
            type=str(kind or "totp").lower(),
            algorithm=str(algorithm) if algorithm else None,
            digits=None if digits in (None, "") else whole(digits, "digits", 6),
            period=None if period in (None, "") else whole(period, "period", 30),
            counter=None if counter in (None, "") or str(kind).lower() != "hotp"
            else whole(counter, "counter", 0),
            issuer=text(issuer, "issuer"),
            account=text(account, "account"),
            force=ACCEPT_SHORT_SECRETS.get(),
        )
        return built.params, list(built.warnings)
    except (UserError, OtpError, ValueError) as exc:
        raise item_error(number, label, str(exc)) from None


def export_params(item: Item) -> OtpParams:
    """The item's OtpParams for a file another app reads: the entry's title as issuer when the OTP
    names none (so a phone app shows something useful), as `otpc otp qr` does."""
    assert item.otp is not None
    params = item.otp
    if not params.issuer and item.title:
        params = replace(params, issuer=item.title)
    return params


def otp_title(params: OtpParams) -> str:
    return params.issuer or params.account or "Imported entry"


def otp_label(issuer: object, account: object) -> str:
    issuer = issuer if isinstance(issuer, str) else ""
    account = account if isinstance(account, str) else ""
    if issuer and account:
        return f"{issuer}: {account}"
    return issuer or account


def otp_item(number: int, params: OtpParams, warnings=(), *, customer: str = "", notes: str = "",
             tags: tuple[str, ...] = ()) -> Item:
    """An Item for formats that only hold OTP accounts (Aegis, 2FAS, andOTP, URIs)."""
    return Item(
        number=number,
        label=otp_label(params.issuer, params.account),
        title=otp_title(params),
        customer=customer,
        username=params.account,
        notes=notes,
        tags=tags,
        otp=params,
        warnings=tuple(warnings),
    )


def load_json(data: bytes, what: str) -> object:
    """JSON from untrusted bytes: one-line errors, no recursion blow-ups."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FormatError(f"{what}: the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{what}: invalid JSON at line {exc.lineno} column {exc.colno} "
            "(is the file truncated or damaged?)"
        ) from None
    except RecursionError:
        raise FormatError(f"{what}: JSON nested too deeply") from None


def check_count(n: int, what: str) -> None:
    if n > MAX_ITEMS:
        raise FormatError(f"{what}: more than {MAX_ITEMS} entries; refusing")
