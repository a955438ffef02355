"""2FAS Authenticator's `.2fas` backup (JSON, schemas 1–4), plain or encrypted.

Encrypted: `servicesEncrypted` = b64(ciphertext‖tag) ":" b64(salt) ":" b64(iv); key =
PBKDF2-HMAC-SHA256(password, salt, 10,000, 32); AES-256-GCM, no AAD; plaintext = the services array.
"""

from __future__ import annotations

from companion.formats.ciphers import b64_bytes, gcm_open, pbkdf2_key, wrong_password
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

WHAT = "2FAS backup"
ITERATIONS = 10_000
TOKEN_TYPES = {"TOTP": "totp", "HOTP": "hotp", "STEAM": "steam"}


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and ("services" in doc or "servicesEncrypted" in doc) and (
        "schemaVersion" in doc or "servicesEncrypted" in doc or "groups" in doc
    )


def decrypt_services(blob: object, password: PasswordSource) -> list:
    if not isinstance(blob, str) or blob.count(":") != 2:
        raise FormatError(f"{WHAT}: servicesEncrypted is not ciphertext:salt:iv")
    ct_b64, salt_b64, iv_b64 = blob.split(":")
    ciphertext = b64_bytes(ct_b64, WHAT, "ciphertext")
    salt = b64_bytes(salt_b64, WHAT, "salt")
    iv = b64_bytes(iv_b64, WHAT, "iv")
    if not 8 <= len(salt) <= 1024:
        raise FormatError(f"{WHAT}: salt has an unexpected length")
    key = pbkdf2_key(password(), salt, ITERATIONS, "sha256", WHAT)
    plain = gcm_open(key, iv, ciphertext, WHAT)
    if plain is None:
        raise wrong_password(WHAT)
    services = load_json(plain, WHAT)
    if not isinstance(services, list):
        raise FormatError(f"{WHAT}: decrypted services are not a list")
    return services


def parse(data: bytes, password: PasswordSource = no_password) -> Parsed:
    doc = load_json(data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: not a 2FAS file (no services)")
    assert isinstance(doc, dict)
    schema = doc.get("schemaVersion", 1)
    if not isinstance(schema, int) or not 1 <= schema <= 4:
        raise FormatError(f"{WHAT}: unsupported schema version (we read 1 to 4)")
    encrypted = bool(doc.get("servicesEncrypted"))
    services = decrypt_services(doc["servicesEncrypted"], password) if encrypted else doc.get(
        "services"
    )
    if not isinstance(services, list):
        raise FormatError(f"{WHAT}: services is not a list")
    check_count(len(services), WHAT)
    groups = {}
    for group in doc.get("groups") or []:
        if isinstance(group, dict) and isinstance(group.get("id"), str):
            groups[group["id"]] = text(group.get("name"), "group name")
    parsed = Parsed("2fas-encrypted" if encrypted else "2fas")
    for number, service in enumerate(services, start=1):
        parsed.items.append(guarded(number, parse_service, number, service, groups))
    return parsed


def parse_service(number: int, service: object, groups: dict[str, str]) -> Item:
    if not isinstance(service, dict):
        raise item_error(number, "", "service is not a JSON object")
    otp = service.get("otp") if isinstance(service.get("otp"), dict) else {}
    issuer = service.get("name") or otp.get("issuer") or ""
    account = otp.get("account") or ""
    label = otp_label(issuer, account)
    token_type = str(otp.get("tokenType") or "TOTP").upper()
    kind = TOKEN_TYPES.get(token_type)
    if kind is None:
        shown = token_type if token_type.isalnum() and len(token_type) < 12 else "?"
        return Item(number=number, label=label, refused=f"{shown} tokens are not supported")
    params, warnings = otp_from_fields(
        number,
        label,
        kind=kind,
        secret=service.get("secret"),
        algorithm=otp.get("algorithm") or "SHA1",
        digits=otp.get("digits") or 6,
        period=otp.get("period") or 30,
        counter=otp.get("counter") or 0,
        issuer=issuer,
        account=account,
    )
    group_id = service.get("groupId")
    customer = groups.get(group_id, "") if isinstance(group_id, str) else ""
    return otp_item(number, params, warnings, customer=customer)
