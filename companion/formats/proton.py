"""Proton exports: Proton Pass (zip holding `Proton Pass/data.json`, the bare JSON, or CSV) and
Proton Authenticator (JSON).

Proton Pass JSON: `{"version", "userId", "encrypted", "vaults": {shareId: {"name", "description",
"items": [item]}}}`. An item: `state` (1 active, 2 trashed), `pinned`, `aliasEmail`, `data {type
(login/alias/note/creditCard/identity/sshKey/wifi/custom), metadata {name, note}, extraFields:
[{fieldName, type (text/hidden/totp), data {content | totpUri}}], content}`; a login's content has
`itemEmail`, `itemUsername` (older files: `username`), `password`, `urls`, `totpUri` (an otpauth
URI or a bare secret). The encrypted export is an OpenPGP message (`data.pgp`): we say how to
decrypt it with gpg instead.

Proton Pass CSV: `type,name,url,[autofillUrls,]email,username,password,note,totp,createTime,
modifyTime,vault`; urls joined with ", ".

Mapping: the vault is the customer (and the one-level group path); trashed items are skipped and
counted in a note; a login's username is `itemUsername`, else its email.

Proton Authenticator: `{"version": 1, "entries": [{"id", "content": {"uri", "entry_type":
"Totp"|"Steam", "name"?}, "note"}]}`; a Steam entry's uri is `steam://<standard base64 secret>`.
Its password-protected export is `{"version": 1, "salt", "content"}` (standard base64): key =
Argon2id v1.3 (19 MiB, 2 passes, 1 lane, 32 bytes) of the password with the 16-byte salt;
content = 12-byte nonce ‖ AES-256-GCM ciphertext ‖ 16-byte tag, AAD
`proton.authenticator.export.v1`; the plaintext is the plain export above. Read from Proton's
source (proton-pass-common, proton-authenticator/src/entry/password_exporter.rs and crypto.rs).
"""

from __future__ import annotations

import base64
import binascii

from companion.formats.archives import is_zip, open_zip, proton_pass_member, read_member
from companion.formats.ciphers import argon2id_key, b64_bytes, gcm_open, wrong_password
from companion.formats.csvfile import header_names, rows
from companion.formats.logins import login_items, split_urls
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
    otp_item,
    text,
)

WHAT = "Proton Pass export"
WHAT_CSV = "Proton Pass CSV export"
WHAT_AUTH = "Proton Authenticator export"
TRASHED = 2
# Proton Authenticator's password-protected export (fixed parameters: the file carries only a salt).
PA_AAD = b"proton.authenticator.export.v1"
PA_SALT_BYTES, PA_NONCE_BYTES, PA_TAG_BYTES = 16, 12, 16
PA_ARGON2_PASSES, PA_ARGON2_MEMORY_MIB, PA_ARGON2_LANES = 2, 19, 1
PGP_ARMOR = b"-----BEGIN PGP MESSAGE-----"


def looks_like_pass(doc: object) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("vaults"), dict) and "version" in doc


def looks_like_authenticator(doc: object) -> bool:
    return isinstance(doc, dict) and "version" in doc and (
        isinstance(doc.get("entries"), list) or {"salt", "content"} <= doc.keys()
    )


def is_pass_csv(data: bytes) -> bool:
    return {"type", "name", "totp", "vault"} <= header_names(data)


def pgp_message(data: bytes) -> str:
    """Advice for an armored OpenPGP message (Proton Pass's encrypted export), else ""."""
    if data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(PGP_ARMOR):
        return ("this is an OpenPGP-encrypted file (Proton Pass's encrypted export): decrypt it with "
                "`gpg --decrypt FILE.pgp > export.zip` and import export.zip, or export again "
                "without encryption")
    return ""


# --- Proton Pass JSON -----------------------------------------------------------------------------


def parse_pass_json(data: bytes, password=None) -> Parsed:
    if is_zip(data):
        archive = open_zip(data, WHAT)
        member = proton_pass_member(archive.namelist())
        if not member:
            raise FormatError(f"{WHAT}: the zip holds no 'Proton Pass/data.json'")
        if member.endswith(".pgp"):
            raise FormatError(f"{WHAT}: {pgp_message(PGP_ARMOR)}")
        data = read_member(archive, member, WHAT)
    doc = load_json(data, WHAT)
    if not looks_like_pass(doc):
        raise FormatError(f"{WHAT}: no vaults in the file")
    assert isinstance(doc, dict)
    if doc.get("encrypted") is True:
        raise FormatError(f"{WHAT}: this export is encrypted; export again without encryption")
    parsed = Parsed("protonpass-json")
    trashed = number = 0
    for vault in doc["vaults"].values():
        if not isinstance(vault, dict):
            raise FormatError(f"{WHAT}: a vault is not a JSON object")
        vault_name = _text(vault.get("name")).strip()
        items = vault.get("items")
        if not isinstance(items, list):
            raise FormatError(f"{WHAT}: a vault's items are not a list")
        check_count(number + len(items), WHAT)  # before any work on a huge file
        for item in items:
            if isinstance(item, dict) and item.get("state") == TRASHED:
                trashed += 1
                continue
            number += 1
            check_count(number, WHAT)
            parsed.items.extend(pass_item(number, item, vault_name))
    if trashed:
        parsed.notes.append(f"{trashed} item(s) in Proton Pass's trash were skipped")
    return parsed


def _text(value: object) -> str:
    try:
        return text(value)
    except ValueError:
        return ""


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def pass_item(number: int, item: object, vault: str) -> list[Item]:
    data = _dict(item.get("data")) if isinstance(item, dict) else {}
    metadata = _dict(data.get("metadata"))
    name = _text(metadata.get("name")).strip()
    try:
        if not data:
            raise ValueError("item has no data")
        kind = _text(data.get("type")) or "unknown"
        content = _dict(data.get("content"))
        otps = [text(content.get("totpUri"), "totpUri")]
        for extra in data.get("extraFields") or []:
            if isinstance(extra, dict) and extra.get("type") == "totp":
                otps.append(text(_dict(extra.get("data")).get("totpUri"), "totpUri"))
        if kind != "login" and not any(o.strip() for o in otps):
            return [_refused(number, name, f"a {kind} item, not a login")]
        username = (text(content.get("itemUsername"), "username")
                    or text(content.get("username"), "username")
                    or text(content.get("itemEmail"), "email")).strip()
        urls = content.get("urls") if isinstance(content.get("urls"), list) else []
        return login_items(
            number,
            title=text(metadata.get("name"), "name").strip(),
            username=username,
            password=text(content.get("password"), "password"),
            urls=tuple(text(u, "url").strip() for u in urls),
            notes=text(metadata.get("note"), "note"),
            otps=otps,
            customer=vault,
            group_path=(vault,) if vault else (),
            tags=("favorite",) if isinstance(item, dict) and item.get("pinned") is True else (),
        )
    except ValueError as exc:
        return [_refused(number, name, str(exc))]


def _refused(number: int, label: str, reason: str) -> Item:
    err = item_error(number, label, reason)
    return Item(number=number, label=err.label, refused=err.reason)


# --- Proton Pass CSV ------------------------------------------------------------------------------


def parse_pass_csv(data: bytes, password=None) -> Parsed:
    parsed = Parsed("protonpass-csv")
    for number, row in enumerate(rows(data, WHAT_CSV), start=1):
        name = row.get("name", "").strip()
        kind = row.get("type", "").strip() or "login"
        totp = row.get("totp", "")
        if kind != "login" and not totp.strip():
            parsed.items.append(_refused(number, name, f"a {kind} item, not a login"))
            continue
        vault = row.get("vault", "").strip()
        parsed.items.extend(login_items(
            number,
            title=name,
            username=(row.get("username", "").strip() or row.get("email", "").strip()),
            password=row.get("password", ""),
            urls=split_urls(row.get("url", "")),
            notes=row.get("note", ""),
            otps=[totp],
            customer=vault,
            group_path=(vault,) if vault else (),
        ))
    return parsed


# --- Proton Authenticator -------------------------------------------------------------------------


def parse_authenticator(data: bytes, password: PasswordSource = no_password) -> Parsed:
    doc = load_json(data, WHAT_AUTH)
    if not looks_like_authenticator(doc):
        raise FormatError(f"{WHAT_AUTH}: no entry list")
    assert isinstance(doc, dict)
    fmt = "proton-authenticator"
    if "entries" not in doc:
        doc = load_json(decrypt_authenticator(doc, password), WHAT_AUTH)
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            raise FormatError(f"{WHAT_AUTH}: the decrypted export holds no entry list")
        fmt = "proton-authenticator-encrypted"
    if doc.get("version") != 1:
        raise FormatError(f"{WHAT_AUTH}: unknown version {label(doc.get('version'))} "
                          "(we read version 1)")
    entries = doc["entries"]
    if not isinstance(entries, list):
        raise FormatError(f"{WHAT_AUTH}: the entries are not a list")
    check_count(len(entries), WHAT_AUTH)
    parsed = Parsed(fmt)
    for number, entry in enumerate(entries, start=1):
        parsed.items.append(guarded(number, authenticator_item, number, entry))
    return parsed


def decrypt_authenticator(doc: dict, password: PasswordSource) -> bytes:
    """The plain export inside a password-protected one (layout in the module docstring)."""
    if doc.get("version") != 1:
        raise FormatError(f"{WHAT_AUTH}: unknown encrypted-export version "
                          f"{label(doc.get('version'))} (we read version 1)")
    salt = b64_bytes(doc.get("salt"), WHAT_AUTH, "salt")
    content = b64_bytes(doc.get("content"), WHAT_AUTH, "content")
    if len(salt) != PA_SALT_BYTES:
        raise FormatError(f"{WHAT_AUTH}: the salt must be {PA_SALT_BYTES} bytes")
    if len(content) < PA_NONCE_BYTES + PA_TAG_BYTES:
        raise FormatError(f"{WHAT_AUTH}: the encrypted content is truncated")
    key = argon2id_key(password(), salt, PA_ARGON2_PASSES, PA_ARGON2_MEMORY_MIB, PA_ARGON2_LANES,
                       WHAT_AUTH)
    plain = gcm_open(key, content[:PA_NONCE_BYTES], content[PA_NONCE_BYTES:], WHAT_AUTH, PA_AAD)
    if plain is None:
        raise wrong_password(WHAT_AUTH)
    return plain


def label(value: object) -> str:
    return repr(value)[:20]


def authenticator_item(number: int, entry: object) -> Item:
    if not isinstance(entry, dict):
        raise item_error(number, "", "entry is not a JSON object")
    content = _dict(entry.get("content"))
    name = _text(content.get("name")).strip()
    try:
        uri = text(content.get("uri"), "uri").strip()
        notes = text(entry.get("note"), "note")
        kind = text(content.get("entry_type"), "entry_type").lower()
    except ValueError as exc:
        raise item_error(number, name, str(exc)) from None
    if kind == "steam" or uri.lower().startswith("steam://"):
        params, warnings = otp_from_fields(
            number, name, kind="steam", secret=steam_secret(uri, number, name), issuer="Steam",
            account=name)
    elif uri.lower().startswith("otpauth://"):
        params, warnings = otp_from_uri(uri, number, name)
    else:
        raise item_error(number, name, "the entry's uri is neither otpauth:// nor steam://")
    return otp_item(number, params, warnings, notes=notes)


def steam_secret(uri: str, number: int, name: str) -> str:
    """Proton Authenticator writes Steam secrets as standard base64 (`steam://<base64>`)."""
    raw = uri[len("steam://"):] if uri.lower().startswith("steam://") else uri
    try:
        secret = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise item_error(number, name, "the Steam secret is not base64") from None
    if not secret:
        raise item_error(number, name, "the Steam secret is empty")
    return base64.b32encode(secret).decode("ascii")
