"""An Aegis-compatible vault (db version 3, with groups), plain or encrypted the way Aegis does it:
a random 256-bit master key wrapped by one scrypt password slot, the db sealed with AES-256-GCM."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Iterable

from companion.exporters.otpauth import export_params
from companion.importers.ciphers import gcm_seal
from companion.importers.records import Item

# What Aegis itself writes.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


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


def to_aegis(
    items: Iterable[Item],
    password: str | None,
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
    slot_key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32
    )
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
