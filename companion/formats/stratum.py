"""Authenticator Pro / Stratum backups (`.authpro`): JSON, plain or encrypted.

JSON: `Authenticators` [{Type (1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex), Issuer, Username,
Secret (base32), Algorithm (0 SHA1, 1 SHA256, 2 SHA512), Digits, Period, Counter, …}],
`Categories` [{Id, Name}], `AuthenticatorCategories` [{CategoryId, AuthenticatorSecret}].

Encrypted, current: "AUTHENTICATORPRO" ‖ salt (16) ‖ IV (12) ‖ AES-256-GCM(ciphertext ‖ tag), key =
Argon2id(password, salt, 3 passes, 64 MiB, 4 lanes) — fixed by the app, not stored in the file.
Encrypted, legacy: "AuthenticatorPro" ‖ salt (20) ‖ IV (16) ‖ AES-256-CBC/PKCS#7, key =
PBKDF2-HMAC-SHA1(password, salt, 64,000 iterations). CBC has no MAC: a wrong password shows as bad
padding or as bytes that are not JSON.
"""

from __future__ import annotations

from companion import crypto
from companion.formats.ciphers import argon2id_key, gcm_open, pbkdf2_key, wrong_password
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

WHAT = "Authenticator Pro / Stratum backup"
HEADER = b"AUTHENTICATORPRO"
LEGACY_HEADER = b"AuthenticatorPro"
# What the app uses; the file does not record them.
ARGON2_PASSES, ARGON2_MEMORY_MIB, ARGON2_LANES = 3, 64, 4
LEGACY_ITERATIONS = 64_000
TYPES = {1: "hotp", 2: "totp", 4: "steam"}
UNSUPPORTED = {3: "mOTP", 5: "Yandex"}
ALGORITHMS = {0: "SHA1", 1: "SHA256", 2: "SHA512"}


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("Authenticators"), list)


def is_encrypted(data: bytes) -> bool:
    return data.startswith((HEADER, LEGACY_HEADER))


def decrypt(data: bytes, password: PasswordSource) -> bytes:
    if data.startswith(HEADER):
        body = data[len(HEADER):]
        if len(body) < 16 + 12 + 16:
            raise FormatError(f"{WHAT}: encrypted file is truncated")
        secret = password()
        key = argon2id_key(secret, body[:16], ARGON2_PASSES, ARGON2_MEMORY_MIB, ARGON2_LANES, WHAT)
        plain = gcm_open(key, body[16:28], body[28:], WHAT)
    else:
        body = data[len(LEGACY_HEADER):]
        if len(body) < 20 + 16 + 16:
            raise FormatError(f"{WHAT}: encrypted file is truncated")
        if (len(body) - 36) % 16:
            raise FormatError(f"{WHAT}: encrypted data is damaged (not whole AES blocks)")
        secret = password()
        key = pbkdf2_key(secret, body[:20], LEGACY_ITERATIONS, "sha1", WHAT)
        plain = crypto.cbc_pkcs7_open(key, body[20:36], body[36:])
        if plain is not None and not plain.lstrip().startswith(b"{"):
            plain = None  # padding happened to look valid under a wrong key
    if plain is None:
        raise wrong_password(WHAT)
    return plain


def parse(data: bytes, password: PasswordSource = no_password) -> Parsed:
    encrypted = is_encrypted(data)
    doc = load_json(decrypt(data, password) if encrypted else data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: no 'Authenticators' list")
    assert isinstance(doc, dict)
    categories = category_names(doc)
    entries = doc["Authenticators"]
    check_count(len(entries), WHAT)
    parsed = Parsed("stratum-encrypted" if encrypted else "stratum")
    for number, entry in enumerate(entries, start=1):
        parsed.items.append(guarded(number, parse_entry, number, entry, categories))
    return parsed


def category_names(doc: dict) -> dict[str, str]:
    """Authenticator secret → the name of its first category (the customer)."""
    names: dict[str, str] = {}
    for category in doc.get("Categories") or []:
        if isinstance(category, dict) and isinstance(category.get("Id"), str):
            name = category.get("Name")
            names[category["Id"]] = name.strip() if isinstance(name, str) else ""
    bound: dict[str, str] = {}
    for link in doc.get("AuthenticatorCategories") or []:
        if not isinstance(link, dict):
            continue
        secret, cid = link.get("AuthenticatorSecret"), link.get("CategoryId")
        if isinstance(secret, str) and names.get(cid) and secret not in bound:
            bound[secret] = names[cid]
    return bound


def parse_entry(number: int, entry: object, categories: dict[str, str]) -> Item:
    if not isinstance(entry, dict):
        raise item_error(number, "", "authenticator is not a JSON object")
    try:
        issuer = text(entry.get("Issuer"), "Issuer").strip()
        account = text(entry.get("Username"), "Username").strip()
    except ValueError as exc:
        raise item_error(number, "", str(exc)) from None
    label = otp_label(issuer, account)
    kind_code = entry.get("Type")
    if kind_code in UNSUPPORTED:
        return Item(number=number, label=label,
                    refused=f"{UNSUPPORTED[kind_code]} authenticators are not supported")
    if kind_code not in TYPES:
        return Item(number=number, label=label, refused="unknown authenticator type")
    algorithm = ALGORITHMS.get(entry.get("Algorithm", 0))
    if algorithm is None:
        raise item_error(number, label, "unknown Algorithm value")
    params, warnings = otp_from_fields(
        number,
        label,
        kind=TYPES[kind_code],
        secret=entry.get("Secret"),
        algorithm=algorithm,
        digits=entry.get("Digits") or 6,
        period=entry.get("Period") or 30,
        counter=entry.get("Counter") or 0,
        issuer=issuer,
        account=account,
    )
    customer = categories.get(entry.get("Secret"), "") if isinstance(entry.get("Secret"), str) else ""
    return otp_item(number, params, warnings, customer=customer)
