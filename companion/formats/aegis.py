"""Aegis Authenticator's JSON export, plain or encrypted.

Encrypted: password slots wrap one 256-bit master key (scrypt → AES-256-GCM); the db is
base64(AES-256-GCM ciphertext) with its nonce and tag in header.params; no AAD anywhere.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterable

from companion.formats.ciphers import (
    b64_bytes,
    gcm_open,
    gcm_seal,
    hex_bytes,
    scrypt_key,
    wrong_password,
)
from companion.formats.records import (
    FormatError,
    Item,
    Parsed,
    PasswordSource,
    check_count,
    export_params,
    guarded,
    item_error,
    load_json,
    no_password,
    otp_from_fields,
    otp_item,
    otp_label,
    text,
)

WHAT = "Aegis export"
SUPPORTED = ("totp", "hotp", "steam")
MAX_SLOTS = 32


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and "header" in doc and "db" in doc


def decrypt_db(doc: dict, password: PasswordSource) -> dict:
    header = doc.get("header")
    if not isinstance(header, dict):
        raise FormatError(f"{WHAT}: header is missing")
    slots = header.get("slots")
    params = header.get("params")
    if not isinstance(slots, list) or not isinstance(params, dict):
        raise FormatError(f"{WHAT}: encrypted header is incomplete")
    password_slots = [s for s in slots[:MAX_SLOTS] if isinstance(s, dict) and s.get("type") == 1]
    if not password_slots:
        raise FormatError(
            f"{WHAT}: no password slot (raw-key and biometric slots cannot be opened here)"
        )
    db_ct = b64_bytes(doc.get("db"), WHAT, "db")
    nonce = hex_bytes(params.get("nonce"), WHAT, "nonce", 12)
    tag = hex_bytes(params.get("tag"), WHAT, "tag", 16)
    secret = password()
    for slot in password_slots:
        salt = hex_bytes(slot.get("salt"), WHAT, "slot salt")
        key_params = slot.get("key_params")
        if not isinstance(key_params, dict):
            raise FormatError(f"{WHAT}: slot key_params missing")
        slot_key = scrypt_key(secret, salt, slot.get("n"), slot.get("r"), slot.get("p"), WHAT)
        wrapped = hex_bytes(slot.get("key"), WHAT, "slot key", 32)
        master = gcm_open(
            slot_key,
            hex_bytes(key_params.get("nonce"), WHAT, "slot nonce", 12),
            wrapped + hex_bytes(key_params.get("tag"), WHAT, "slot tag", 16),
            WHAT,
        )
        if master is None:
            continue
        plain = gcm_open(master, nonce, db_ct + tag, WHAT)
        if plain is None:
            raise FormatError(f"{WHAT}: the vault content is damaged (authentication failed)")
        db = load_json(plain, WHAT)
        if not isinstance(db, dict):
            raise FormatError(f"{WHAT}: decrypted content is not a JSON object")
        return db
    raise wrong_password(WHAT)


def parse(data: bytes, password: PasswordSource = no_password) -> Parsed:
    doc = load_json(data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: not an Aegis file (no header/db)")
    assert isinstance(doc, dict)
    db = doc["db"]
    encrypted = isinstance(db, str)
    if encrypted:
        db = decrypt_db(doc, password)
    if not isinstance(db, dict) or not isinstance(db.get("entries"), list):
        raise FormatError(f"{WHAT}: db has no entry list")
    groups = {}
    for group in db.get("groups") or []:
        if isinstance(group, dict) and isinstance(group.get("uuid"), str):
            groups[group["uuid"]] = text(group.get("name"), "group name")
    entries = db["entries"]
    check_count(len(entries), WHAT)
    parsed = Parsed("aegis-encrypted" if encrypted else "aegis")
    for number, entry in enumerate(entries, start=1):
        parsed.items.append(guarded(number, parse_entry, number, entry, groups))
    return parsed


def parse_entry(number: int, entry: object, groups: dict[str, str]) -> Item:
    if not isinstance(entry, dict):
        raise item_error(number, "", "entry is not a JSON object")
    label = otp_label(entry.get("issuer"), entry.get("name"))
    kind = str(entry.get("type", "")).lower()
    if kind not in SUPPORTED:
        shown = kind if kind.isalnum() and len(kind) < 12 else "?"
        return Item(number=number, label=label, refused=f"{shown} entries are not supported")
    info = entry.get("info")
    if not isinstance(info, dict):
        raise item_error(number, label, "entry has no info block")
    try:
        group = group_name(entry, groups)
        note = text(entry.get("note"), "note")
    except ValueError as exc:
        raise item_error(number, label, str(exc)) from None
    params, warnings = otp_from_fields(
        number,
        label,
        kind=kind,
        secret=info.get("secret"),
        algorithm=info.get("algo", "SHA1"),
        digits=info.get("digits", 6),
        period=info.get("period", 30),
        counter=info.get("counter", 0),
        issuer=entry.get("issuer", ""),
        account=entry.get("name", ""),
    )
    tags = ("favorite",) if entry.get("favorite") is True else ()
    return otp_item(number, params, warnings, customer=group, notes=note, tags=tags)


def group_name(entry: dict, groups: dict[str, str]) -> str:
    """v3: a list of group uuids (the first known one wins); v2: a group name."""
    uuids = entry.get("groups")
    if isinstance(uuids, list):
        for uuid in uuids:
            if isinstance(uuid, str) and groups.get(uuid):
                return groups[uuid]
    return text(entry.get("group"), "group")


# --- export: an Aegis-compatible vault (db version 3, with groups), plain or encrypted the way
# Aegis does it: a random master key wrapped by one scrypt password slot, the db sealed with GCM.

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # what Aegis itself writes


def entry_json(item: Item, group_ids: list[str]) -> dict:
    params = export_params(item)
    info: dict = {"secret": params.secret, "algo": params.algorithm, "digits": params.digits}
    if params.type == "hotp":
        info["counter"] = params.counter
    else:
        info["period"] = params.period
    return {
        "type": params.type,
        "uuid": str(uuid.uuid4()),
        "name": params.account or item.username or item.title,
        "issuer": params.issuer,
        "note": item.notes,
        "favorite": "favorite" in item.tags,
        "icon": None,
        "icon_mime": None,
        "info": info,
        "groups": group_ids,
    }


def db_json(items: Iterable[Item]) -> dict:
    groups: dict[str, str] = {}
    entries = []
    for item in items:
        if item.otp is None:
            continue
        ids = []
        if item.customer:
            ids.append(groups.setdefault(item.customer, str(uuid.uuid4())))
        entries.append(entry_json(item, ids))
    return {
        "version": 3,
        "entries": entries,
        "groups": [{"uuid": gid, "name": name} for name, gid in groups.items()],
    }


def dump(
    items: Iterable[Item],
    password: str | None = None,
    *,
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
) -> bytes:
    """Aegis JSON; encrypted with `password` unless it is None."""
    db = db_json(items)
    if password is None:
        doc = {"version": 1, "header": {"slots": None, "params": None}, "db": db}
        return json.dumps(doc, indent=4, ensure_ascii=False).encode("utf-8")
    master = os.urandom(32)
    salt = os.urandom(32)
    slot_key = scrypt_key(password, salt, n, r, p, WHAT)
    slot_nonce = os.urandom(12)
    wrapped = gcm_seal(slot_key, slot_nonce, master)
    db_nonce = os.urandom(12)
    sealed = gcm_seal(master, db_nonce, json.dumps(db, ensure_ascii=False).encode("utf-8"))
    slot = {
        "type": 1,
        "uuid": str(uuid.uuid4()),
        "key": wrapped[:-16].hex(),
        "key_params": {"nonce": slot_nonce.hex(), "tag": wrapped[-16:].hex()},
        "n": n,
        "r": r,
        "p": p,
        "salt": salt.hex(),
        "repaired": True,
        "is_backup": False,
    }
    doc = {
        "version": 1,
        "header": {"slots": [slot], "params": {"nonce": db_nonce.hex(), "tag": sealed[-16:].hex()}},
        "db": base64.b64encode(sealed[:-16]).decode("ascii"),
    }
    return json.dumps(doc, indent=4, ensure_ascii=False).encode("utf-8")
