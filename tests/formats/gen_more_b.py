"""Generators for Ente Auth (encrypted), FreeOTP+ / FreeOTP 1.x, Authenticator Pro / Stratum
(plain, encrypted, legacy-encrypted) and Raivo (AES and ZipCrypto zips) files, written from the
apps' published formats (no fixture copied from any project). The encryption is done with other
code than the importers use where one exists: libsodium (PyNaCl) for Ente, pyzipper for WinZip
AES, and a ZipCrypto writer below."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import zlib
from xml.sax.saxutils import escape, quoteattr

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

# --- Ente Auth ------------------------------------------------------------------------------------


def ente_export(uris: list[str], password: str, *, ops: int = 2, mem: int = 8 * 1024 * 1024,
                final_tag: bool = True) -> bytes:
    """Ente's export: libsodium pwhash (Argon2id) + one secretstream message. Ente's older
    builds push the data with the FINAL tag, newer ones with MESSAGE (then an empty FINAL)."""
    from nacl import bindings, pwhash

    salt = os.urandom(16)
    key = pwhash.argon2id.kdf(32, password.encode(), salt, opslimit=ops, memlimit=mem)
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    header = bindings.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    tag = (bindings.crypto_secretstream_xchacha20poly1305_TAG_FINAL if final_tag
           else bindings.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
    data = bindings.crypto_secretstream_xchacha20poly1305_push(
        state, "\n".join(uris).encode(), None, tag)
    b = base64.b64encode
    doc = {"version": 1, "kdfParams": {"memLimit": mem, "opsLimit": ops, "salt": b(salt).decode()},
           "encryptedData": b(data).decode(), "encryptionNonce": b(header).decode()}
    return json.dumps(doc).encode()


# --- FreeOTP+ / FreeOTP 1.x -----------------------------------------------------------------------


def signed(raw: bytes) -> list[int]:
    """Java bytes: -128…127."""
    return [b - 256 if b > 127 else b for b in raw]


def freeotp_token(issuer: str, label: str, secret: bytes, *, kind="TOTP", algo="SHA1", digits=6,
                  period=30, counter=0) -> dict:
    return {"algo": algo, "counter": counter, "digits": digits, "issuerExt": issuer,
            "issuerInt": issuer, "label": label, "period": period, "secret": signed(secret),
            "type": kind}


def freeotp_json(tokens: list[dict]) -> bytes:
    order = [f"{t['issuerExt']}:{t['label']}" if t["issuerExt"] else t["label"] for t in tokens]
    return json.dumps({"tokenOrder": order, "tokens": tokens}).encode()


def freeotp_xml(tokens: list[dict]) -> bytes:
    """FreeOTP 1.x's shared preferences file (tokens.xml)."""
    order = [f"{t['issuerExt']}:{t['label']}" for t in tokens]
    body = f'    <string name="tokenOrder">{escape(json.dumps(order))}</string>\n'
    for name, token in zip(order, tokens, strict=True):
        body += f"    <string name={quoteattr(name)}>{escape(json.dumps(token))}</string>\n"
    return ("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n" + body
            + "</map>\n").encode()


# --- Authenticator Pro / Stratum ------------------------------------------------------------------


def stratum_auth(kind: int, issuer: str, username, secret: str, *, algorithm=0, digits=6,
                 period=30, counter=0) -> dict:
    return {"Type": kind, "Icon": "default", "Issuer": issuer, "Username": username,
            "Secret": secret, "Pin": None, "Algorithm": algorithm, "Digits": digits,
            "Period": period, "Counter": counter, "CopyCount": 0, "Ranking": 0}


def stratum_doc(auths: list[dict], categories: dict[str, list[str]] = None) -> dict:
    """categories: name → secrets of the authenticators in it (Id = 8 hex of SHA-1(name))."""
    cats, links = [], []
    for name, secrets in (categories or {}).items():
        cid = hashlib.sha1(name.encode()).hexdigest()[:8]
        cats.append({"Id": cid, "Name": name, "Ranking": 0})
        links += [{"CategoryId": cid, "AuthenticatorSecret": s, "Ranking": 0} for s in secrets]
    return {"Authenticators": auths, "Categories": cats, "AuthenticatorCategories": links,
            "CustomIcons": []}


def stratum_encrypted(doc: dict, password: str) -> bytes:
    """The current format: Argon2id (3 passes, 64 MiB, 4 lanes) + AES-256-GCM."""
    salt, iv = os.urandom(16), os.urandom(12)
    key = Argon2id(salt=salt, length=32, iterations=3, lanes=4,
                   memory_cost=65536).derive(password.encode())
    return b"AUTHENTICATORPRO" + salt + iv + AESGCM(key).encrypt(iv, json.dumps(doc).encode(), None)


def stratum_legacy(doc: dict, password: str) -> bytes:
    """The legacy format: PBKDF2-SHA1 (64,000) + AES-256-CBC/PKCS#7."""
    salt, iv = os.urandom(20), os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, 64_000, 32)
    padder = padding.PKCS7(128).padder()
    data = padder.update(json.dumps(doc).encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return b"AuthenticatorPro" + salt + iv + enc.update(data) + enc.finalize()


# --- Raivo ----------------------------------------------------------------------------------------


def raivo_entry(issuer: str, account: str, secret: str, *, kind="TOTP", algorithm="SHA1",
                digits=6, timer=30, counter=0, pinned=False) -> dict:
    return {"pinned": "true" if pinned else "false", "iconValue": "", "secret": secret,
            "issuer": issuer, "counter": str(counter), "account": account, "iconType": "",
            "algorithm": algorithm, "kind": kind, "digits": str(digits), "timer": str(timer)}


def raivo_zip_aes(entries: list[dict], password: str) -> bytes:
    """What SSZipArchive writes: WinZip AES-256 members."""
    import io

    import pyzipper

    out = io.BytesIO()
    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr("raivo-otp-export.html", "<html>codes</html>")
        archive.writestr("raivo-otp-export.json", json.dumps(entries))
    return out.getvalue()


def _crc_update(crc: int, byte: int) -> int:
    return ~zlib.crc32(bytes([byte]), ~crc & 0xFFFFFFFF) & 0xFFFFFFFF


def zipcrypto_encrypt(plain: bytes, password: bytes, check_byte: int) -> bytes:
    """PKWARE's traditional encryption (APPNOTE 6.1): 12-byte header, then the data."""
    k0, k1, k2 = 0x12345678, 0x23456789, 0x34567890

    def update(c: int) -> None:
        nonlocal k0, k1, k2
        k0 = _crc_update(k0, c)
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = _crc_update(k2, k1 >> 24)

    for c in password:
        update(c)
    out = bytearray()
    for p in os.urandom(11) + bytes([check_byte]) + plain:
        t = (k2 | 2) & 0xFFFF
        out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xFF))
        update(p)
    return bytes(out)


def raivo_zip_zipcrypto(entries: list[dict], password: str) -> bytes:
    """One stored member encrypted with ZipCrypto (a legacy or re-zipped export)."""
    name = b"raivo-otp-export.json"
    plain = json.dumps(entries).encode()
    crc = zlib.crc32(plain)
    data = zipcrypto_encrypt(plain, password.encode(), crc >> 24)
    common = struct.pack("<HHHHHIII", 20, 1, 0, 0, 0x21, crc, len(data), len(plain))
    local = b"PK\x03\x04" + common + struct.pack("<HH", len(name), 0) + name
    central = (b"PK\x01\x02" + struct.pack("<H", 20) + common
               + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, 0) + name)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central),
                                      len(local) + len(data), 0)
    return local + data + central + end
