"""Our own JSON export (docs/export-format.md), encrypted (Argon2id + AES-256-GCM) or plain."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, replace

from companion.formats.ciphers import argon2id_key, gcm_open, gcm_seal, wrong_password
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
    text,
)

WHAT = "OTP Companion export"
FORMAT = "otp-companion-export"
VERSION = 1
AAD = b"otp-companion-export v1"


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def _b64(value: object, field: str) -> bytes:
    if not isinstance(value, str):
        raise FormatError(f"{WHAT}: {field} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{WHAT}: {field} is not base64") from None


def decrypt(doc: dict, password: PasswordSource) -> dict:
    kdf = doc.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id":
        raise FormatError(f"{WHAT}: unsupported key derivation (expected argon2id)")
    memory_kib = kdf.get("memory_kib")
    if not isinstance(memory_kib, int) or memory_kib % 1024:
        raise FormatError(f"{WHAT}: Argon2id memory must be whole MiB")
    key = argon2id_key(
        password(),
        _b64(kdf.get("salt"), "kdf.salt"),
        kdf.get("iterations"),
        memory_kib // 1024,
        kdf.get("lanes"),
        WHAT,
    )
    nonce = _b64(doc.get("nonce"), "nonce")
    ciphertext = _b64(doc.get("ciphertext"), "ciphertext")
    if len(nonce) != 12 or len(ciphertext) < 16:
        raise FormatError(f"{WHAT}: nonce or ciphertext has a bad length")
    plain = gcm_open(key, nonce, ciphertext, WHAT, aad=AAD)
    if plain is None:
        raise wrong_password(WHAT)
    content = load_json(plain, WHAT)
    if not isinstance(content, dict):
        raise FormatError(f"{WHAT}: decrypted content is not a JSON object")
    return content


def parse(data: bytes, password: PasswordSource = no_password) -> Parsed:
    doc = load_json(data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: not an OTP Companion export")
    assert isinstance(doc, dict)
    if doc.get("version") != VERSION:
        raise FormatError(f"{WHAT}: unsupported version (this otpc reads version {VERSION})")
    encrypted = doc.get("encrypted") is True
    content = decrypt(doc, password) if encrypted else doc.get("content")
    if not isinstance(content, dict) or not isinstance(content.get("customers"), list):
        raise FormatError(f"{WHAT}: no customer list")
    parsed = Parsed("otpc-json-encrypted" if encrypted else "otpc-json")
    for customer in content["customers"]:
        if not isinstance(customer, dict) or not isinstance(customer.get("entries"), list):
            raise FormatError(f"{WHAT}: a customer has no entry list")
        name = text(customer.get("name"), "customer name").strip()
        notes = text(customer.get("notes"), "customer notes")
        for entry in customer["entries"]:
            number = len(parsed.items) + 1
            check_count(number, WHAT)
            parsed.items.append(guarded(number, parse_entry, number, entry, name, notes))
    return parsed


def parse_entry(number: int, entry: object, customer: str, customer_notes: str) -> Item:
    if not isinstance(entry, dict):
        raise item_error(number, "", "entry is not a JSON object")
    label = str(entry.get("title", ""))[:60]
    try:
        title = text(entry.get("title"), "title").strip()
        urls = entry.get("urls") or []
        tags = entry.get("tags") or []
        if not isinstance(urls, list) or not isinstance(tags, list):
            raise ValueError("urls and tags must be lists")
        item = Item(
            number=number,
            label=f"{customer}/{title}",
            title=title or f"Entry {number}",
            customer=customer,
            customer_notes=customer_notes,
            username=text(entry.get("username"), "username"),
            password=text(entry.get("password"), "password"),
            urls=tuple(text(u, "url") for u in urls),
            notes=text(entry.get("notes"), "notes"),
            tags=tuple(text(t, "tag") for t in tags),
        )
    except ValueError as exc:
        raise item_error(number, label, str(exc)) from None
    otp = entry.get("otp")
    if otp is None:
        return item
    if not isinstance(otp, dict):
        raise item_error(number, label, "otp is not a JSON object")
    params, warnings = otp_from_fields(
        number,
        item.label,
        kind=otp.get("type", "totp"),
        secret=otp.get("secret"),
        algorithm=otp.get("algorithm", "SHA1"),
        digits=otp.get("digits", 6),
        period=otp.get("period", 30),
        counter=otp.get("counter", 0),
        issuer=otp.get("issuer", ""),
        account=otp.get("account", ""),
    )
    return replace(item, otp=params, warnings=tuple(warnings))


# --- export ----------------------------------------------------------------------------------------
KDF_MEMORY_KIB = 64 * 1024
KDF_ITERATIONS = 3
KDF_LANES = 4


def content_json(items: Iterable[Item]) -> dict:
    customers: dict[str, dict] = {}
    for item in items:
        customer = customers.setdefault(
            item.customer, {"name": item.customer, "notes": item.customer_notes, "entries": []}
        )
        customer["entries"].append(
            {
                "title": item.title,
                "username": item.username,
                "password": item.password,
                "urls": list(item.urls),
                "notes": item.notes,
                "tags": list(item.tags),
                "otp": asdict(item.otp) if item.otp else None,
            }
        )
    return {"customers": list(customers.values())}


def dump(
    items: Iterable[Item],
    password: str | None = None,
    *,
    memory_kib: int = KDF_MEMORY_KIB,
    iterations: int = KDF_ITERATIONS,
    lanes: int = KDF_LANES,
) -> bytes:
    content = content_json(items)
    doc: dict = {"format": FORMAT, "version": VERSION}
    if password is None:
        doc.update({"encrypted": False, "content": content})
    else:
        salt, nonce = os.urandom(16), os.urandom(12)
        key = argon2id_key(password, salt, iterations, memory_kib // 1024, lanes, WHAT)
        plain = json.dumps(content, ensure_ascii=False).encode("utf-8")
        doc.update(
            {
                "encrypted": True,
                "kdf": {
                    "name": "argon2id",
                    "salt": base64.b64encode(salt).decode("ascii"),
                    "memory_kib": memory_kib,
                    "iterations": iterations,
                    "lanes": lanes,
                },
                "cipher": "AES-256-GCM",
                "nonce": base64.b64encode(nonce).decode("ascii"),
                "ciphertext": base64.b64encode(gcm_seal(key, nonce, plain, AAD)).decode(),
            }
        )
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
