"""Bitwarden exports: JSON (plain or password-protected) and CSV. Login items become entries;
`login.totp` is an otpauth URI, `steam://BASE32` or a bare base32 secret (SHA1, 6 digits, 30 s).

Password-protected JSON: key = PBKDF2-SHA256(password, salt, iterations) or Argon2id(password,
SHA-256(salt), …, memory MiB); enc/mac keys = HKDF-Expand(key, "enc"/"mac"); EncString
`2.iv|ct|mac` = AES-256-CBC + HMAC-SHA256(mac, iv‖ct), the MAC verified first.
"""

from __future__ import annotations

import hashlib
import hmac

from companion.formats.ciphers import argon2id_key, b64_bytes, pbkdf2_key, wrong_password
from companion.formats.csvfile import rows
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
    otp_from_uri,
    text,
)
from companion.otp import OtpParams

WHAT = "Bitwarden export"
ITEM_TYPES = {1: "login", 2: "secure note", 3: "card", 4: "identity", 5: "SSH key"}


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and "encrypted" in doc and ("items" in doc or "data" in doc)


def totp_params(value: str, number: int, label: str, title: str, username: str):
    value = value.strip()
    if value.lower().startswith("otpauth://"):
        params, warnings = otp_from_uri(value, number, label)
        if not params.issuer:
            from dataclasses import replace

            params = replace(params, issuer=title, account=params.account or username)
        return params, warnings
    if value.lower().startswith("steam://"):
        return otp_from_fields(
            number, label, kind="steam", secret=value[8:], issuer=title, account=username
        )
    return otp_from_fields(number, label, kind="totp", secret=value, issuer=title, account=username)


def make_item(number: int, *, name, username, password, uris, notes, totp, folder) -> Item:
    label = name or username
    params: OtpParams | None = None
    warnings: list[str] = []
    if totp.strip():
        params, warnings = totp_params(totp, number, label, name, username)
    return Item(
        number=number,
        label=label,
        title=name or (params.issuer if params else "") or username or f"Entry {number}",
        customer=folder,
        username=username,
        password=password,
        urls=tuple(u for u in uris if u),
        notes=notes,
        otp=params,
        warnings=tuple(warnings),
    )


def parse_json(data: bytes, password: PasswordSource = no_password) -> Parsed:
    doc = load_json(data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: not a Bitwarden JSON export")
    assert isinstance(doc, dict)
    fmt = "bitwarden-json"
    if doc.get("encrypted") is True:
        if doc.get("passwordProtected") is not True:
            raise FormatError(
                f"{WHAT}: this export is encrypted with your Bitwarden account key and can only be "
                "opened by Bitwarden; export again as 'JSON' or 'JSON (password protected)'"
            )
        doc = decrypt_export(doc, password)
        fmt = "bitwarden-json-encrypted"
    items = doc.get("items")
    if not isinstance(items, list):
        raise FormatError(f"{WHAT}: no item list")
    check_count(len(items), WHAT)
    folders = {}
    for folder in doc.get("folders") or []:
        if isinstance(folder, dict) and isinstance(folder.get("id"), str):
            folders[folder["id"]] = text(folder.get("name"), "folder name")
    parsed = Parsed(fmt)
    for number, item in enumerate(items, start=1):
        parsed.items.append(guarded(number, json_item, number, item, folders))
    return parsed


def json_item(number: int, item: object, folders: dict[str, str]) -> Item:
    if not isinstance(item, dict):
        raise item_error(number, "", "item is not a JSON object")
    try:
        name = text(item.get("name"), "name").strip()
        if item.get("type") != 1:
            kind = ITEM_TYPES.get(item.get("type"), "unknown")  # type: ignore[arg-type]
            return Item(number=number, label=name, refused=f"a {kind} item, not a login")
        login = item.get("login") if isinstance(item.get("login"), dict) else {}
        uris = [
            text(u.get("uri"), "uri").strip()
            for u in (login.get("uris") or [])
            if isinstance(u, dict)
        ]
        folder_id = item.get("folderId")
        return make_item(
            number,
            name=name,
            username=text(login.get("username"), "username").strip(),
            password=text(login.get("password"), "password"),
            uris=uris,
            notes=text(item.get("notes"), "notes"),
            totp=text(login.get("totp"), "totp"),
            folder=folders.get(folder_id, "") if isinstance(folder_id, str) else "",
        )
    except ValueError as exc:
        raise item_error(number, str(item.get("name", ""))[:60], str(exc)) from None


def parse_csv(data: bytes, password=None) -> Parsed:
    parsed = Parsed("bitwarden-csv")
    for number, row in enumerate(rows(data, WHAT + " (CSV)"), start=1):
        name = row.get("name", "").strip()
        if row.get("type", "login").strip().lower() not in ("login", ""):
            parsed.items.append(
                Item(number=number, label=name, refused=f"a {row['type']} item, not a login")
            )
            continue
        uris = [u.strip() for u in row.get("login_uri", "").split(",")]
        parsed.items.append(
            guarded(
                number,
                make_item,
                number,
                name=name,
                username=row.get("login_username", "").strip(),
                password=row.get("login_password", ""),
                uris=uris,
                notes=row.get("notes", ""),
                totp=row.get("login_totp", ""),
                folder=row.get("folder", "").strip(),
            )
        )
    return parsed


# --- password-protected JSON -------------------------------------------------------------------


def hkdf_expand(prk: bytes, info: bytes, length: int = 32) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def derive_keys(doc: dict, password: str) -> tuple[bytes, bytes]:
    salt = doc.get("salt")
    if not isinstance(salt, str) or not salt:
        raise FormatError(f"{WHAT}: salt is missing")
    kdf_type = doc.get("kdfType")
    if kdf_type == 0:
        key = pbkdf2_key(password, salt.encode("utf-8"), doc.get("kdfIterations"), "sha256", WHAT)
    elif kdf_type == 1:
        key = argon2id_key(
            password,
            hashlib.sha256(salt.encode("utf-8")).digest(),
            doc.get("kdfIterations"),
            doc.get("kdfMemory"),
            doc.get("kdfParallelism"),
            WHAT,
        )
    else:
        raise FormatError(f"{WHAT}: unknown kdfType (expected 0 PBKDF2 or 1 Argon2id)")
    return hkdf_expand(key, b"enc"), hkdf_expand(key, b"mac")


def open_enc_string(value: object, enc_key: bytes, mac_key: bytes) -> bytes | None:
    """Decrypt an EncString `2.iv|ct|mac`; None when the MAC does not match (wrong password)."""
    if not isinstance(value, str) or not value.startswith("2.") or value.count("|") != 2:
        raise FormatError(f"{WHAT}: encrypted data is not a type-2 EncString")
    iv_b64, ct_b64, mac_b64 = value[2:].split("|")
    iv = b64_bytes(iv_b64, WHAT, "iv")
    ciphertext = b64_bytes(ct_b64, WHAT, "ciphertext")
    mac = b64_bytes(mac_b64, WHAT, "mac")
    if len(iv) != 16 or not ciphertext or len(ciphertext) % 16:
        raise FormatError(f"{WHAT}: encrypted data has a bad length")
    expected = hmac.new(mac_key, iv + ciphertext, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        return None
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise FormatError(f"{WHAT}: encrypted data is damaged (bad padding)") from None


def decrypt_export(doc: dict, password: PasswordSource) -> dict:
    enc_key, mac_key = derive_keys(doc, password())
    check = doc.get("encKeyValidation_DO_NOT_EDIT")
    if check is not None and open_enc_string(check, enc_key, mac_key) is None:
        raise wrong_password(WHAT)
    plain = open_enc_string(doc.get("data"), enc_key, mac_key)
    if plain is None:
        raise wrong_password(WHAT)
    inner = load_json(plain, WHAT)
    if not isinstance(inner, dict):
        raise FormatError(f"{WHAT}: decrypted content is not a JSON object")
    return inner


# --- export: plain Bitwarden JSON, to move entries with their OTP into a password manager --------


def dump_json(items: list[Item], password: str | None = None) -> bytes:
    """Bitwarden's unencrypted JSON export: one login item per entry, customers as folders,
    `login.totp` an otpauth URI (`steam://SECRET` for Steam, as Bitwarden writes it)."""
    import json
    import uuid

    from companion.formats.records import export_params
    from companion.otpauth import build_uri

    folders: dict[str, str] = {}
    out = []
    for item in items:
        folder_id = folders.setdefault(item.customer, str(uuid.uuid4())) if item.customer else None
        totp = None
        if item.otp is not None:
            params = export_params(item)
            totp = f"steam://{params.secret}" if params.type == "steam" else build_uri(params)
        out.append({
            "id": str(uuid.uuid4()),
            "organizationId": None,
            "folderId": folder_id,
            "type": 1,
            "reprompt": 0,
            "name": item.title,
            "notes": item.notes or None,
            "favorite": "favorite" in item.tags,
            "login": {
                "uris": [{"match": None, "uri": u} for u in item.urls],
                "username": item.username or None,
                "password": item.password or None,
                "totp": totp,
            },
            "collectionIds": None,
        })
    doc = {
        "encrypted": False,
        "folders": [{"id": fid, "name": name} for name, fid in folders.items()],
        "items": out,
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
