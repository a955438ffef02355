"""andOTP backups: a JSON array of accounts, plain or encrypted.

Encrypted (new): [4-byte BE iterations][12-byte salt][12-byte IV][AES-GCM ciphertext‖tag], key =
PBKDF2-HMAC-SHA1(password, salt, iterations, 32). Encrypted (old): key = SHA-256(password),
[12-byte IV][ciphertext‖tag].
"""

from __future__ import annotations

import hashlib

from companion.formats.ciphers import WrongFilePassword, gcm_open, pbkdf2_key, wrong_password
from companion.formats.records import (
    FormatError,
    Item,
    Parsed,
    PasswordSource,
    check_count,
    guarded,
    item_error,
    load_json,
    no_password,
    otp_from_fields,
    otp_item,
    otp_label,
    text,
)

WHAT = "andOTP backup"
TYPES = {"TOTP": "totp", "HOTP": "hotp", "STEAM": "steam"}
MIN_ENCRYPTED = 4 + 12 + 12 + 16
# andOTP writes 140,000–160,000 iterations; a header claiming more than this is not andOTP's.
MAX_ITERATIONS = 1_000_000


def looks_like(doc: object) -> bool:
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(a, dict) and "secret" in a for a in doc[:5])
    )


def new_format_iterations(data: bytes) -> int:
    """The iteration count of the new format's header, or 0 if it cannot be one."""
    if len(data) < MIN_ENCRYPTED:
        return 0
    iterations = int.from_bytes(data[:4], "big")
    return iterations if 1 <= iterations <= MAX_ITERATIONS else 0


def decrypt(data: bytes, password: PasswordSource) -> bytes:
    if len(data) < 12 + 16:
        raise FormatError(f"{WHAT}: encrypted file is truncated")
    secret = password()
    iterations = new_format_iterations(data)
    if iterations:
        key = pbkdf2_key(secret, data[4:16], iterations, "sha1", WHAT)
        plain = gcm_open(key, data[16:28], data[28:], WHAT)
        if plain is not None:
            return plain
    # The old format (or a new-format header that only looked plausible): SHA-256 of the password.
    key = hashlib.sha256(secret.encode("utf-8")).digest()
    plain = gcm_open(key, data[:12], data[12:], WHAT)
    if plain is None:
        claimed = int.from_bytes(data[:4], "big")
        if claimed > MAX_ITERATIONS:
            # Either a new-format file beyond our cap or an old-format file (whose first bytes are
            # a random IV) with a wrong password: we cannot tell which, so say both.
            raise WrongFilePassword(
                f"{WHAT}: the file asks for {claimed:,} PBKDF2 iterations, more than our limit of "
                f"{MAX_ITERATIONS:,} (andOTP writes about 150,000); read as an old-format backup "
                "instead, the password does not match"
            )
        raise wrong_password(WHAT)
    return plain


def _utf8(data: bytes) -> bool:
    """A plain backup is JSON text. An old-format encrypted one starts with a random IV, which
    begins with "[" (or whitespace and "[") about once in 200 files: its bytes are not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse(data: bytes, password: PasswordSource = no_password) -> Parsed:
    encrypted = data.lstrip()[:1] not in (b"[", b"\xef") or not _utf8(data)
    content = decrypt(data, password) if encrypted else data
    accounts = load_json(content, WHAT)
    if not isinstance(accounts, list):
        raise FormatError(f"{WHAT}: expected a JSON array of accounts")
    check_count(len(accounts), WHAT)
    parsed = Parsed("andotp-encrypted" if encrypted else "andotp")
    for number, account in enumerate(accounts, start=1):
        parsed.items.append(guarded(number, parse_account, number, account))
    return parsed


def parse_account(number: int, account: object) -> Item:
    if not isinstance(account, dict):
        raise item_error(number, "", "account is not a JSON object")
    issuer = account.get("issuer") if isinstance(account.get("issuer"), str) else ""
    name = account.get("label") if isinstance(account.get("label"), str) else ""
    if not issuer and " - " in name:  # old files: "Issuer - Label"
        issuer, name = (s.strip() for s in name.split(" - ", 1))
    label = otp_label(issuer, name)
    kind = TYPES.get(str(account.get("type") or "TOTP").upper())
    if kind is None:
        return Item(number=number, label=label, refused="only TOTP, HOTP and Steam are supported")
    params, warnings = otp_from_fields(
        number,
        label,
        kind=kind,
        secret=account.get("secret"),
        algorithm=account.get("algorithm") or "SHA1",
        digits=account.get("digits") or 6,
        period=account.get("period") or 30,
        counter=account.get("counter") or 0,
        issuer=issuer,
        account=name,
    )
    tags_raw = account.get("tags")
    try:
        tags = tuple(text(t, "tag") for t in tags_raw) if isinstance(tags_raw, list) else ()
    except ValueError as exc:
        raise item_error(number, label, str(exc)) from None
    return otp_item(number, params, warnings, tags=tags)
