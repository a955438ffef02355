"""Our own export (docs/export-format.md): customers → entries (with passwords) → OTP parameters.
Encrypted by default: Argon2id → AES-256-GCM over the whole content, with a fixed AAD."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from dataclasses import asdict

from companion.importers.ciphers import gcm_seal
from companion.importers.otpc_json import AAD, FORMAT, VERSION
from companion.importers.records import Item

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


def to_json(
    items: Iterable[Item],
    password: str | None,
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
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        salt, nonce = os.urandom(16), os.urandom(12)
        key = Argon2id(
            salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory_kib
        ).derive(password.encode("utf-8"))
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
