"""Generators for every import format, written from the format descriptions in
/work/shared/docs/import-formats.md (no fixture files copied from other projects), and reference
code computations done with the hmac module directly (independent of companion.otp)."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import os
import struct
import uuid
from urllib.parse import quote
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

# RFC 6238 appendix B seeds, and values typed in from the RFCs.
SEED_SHA1 = b"12345678901234567890"
SEED_SHA256 = b"12345678901234567890123456789012"
SEED_SHA512 = b"1234567890123456789012345678901234567890123456789012345678901234"
B32_SHA1 = base64.b32encode(SEED_SHA1).decode()
B32_SHA256 = base64.b32encode(SEED_SHA256).decode()
B32_SHA512 = base64.b32encode(SEED_SHA512).decode()
RFC6238_AT_59 = {"SHA1": "94287082", "SHA256": "46119246", "SHA512": "90693936"}
RFC4226_HOTP = ["755224", "287082", "359152", "969429", "338314", "254676", "287922"]

# A second, random-looking 160-bit secret for variety.
OTHER = bytes(range(100, 120))
B32_OTHER = base64.b32encode(OTHER).decode()


# --- reference codes -----------------------------------------------------------------------------


def ref_truncated(key: bytes, counter: int, algorithm: str = "SHA1") -> int:
    digest = hmac.new(key, struct.pack(">Q", counter), algorithm.lower()).digest()
    offset = digest[-1] & 0x0F
    return int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF


def ref_hotp(key: bytes, counter: int, algorithm: str = "SHA1", digits: int = 6) -> str:
    return str(ref_truncated(key, counter, algorithm) % 10**digits).zfill(digits)


def ref_totp(key: bytes, at: float, algorithm="SHA1", digits=6, period=30) -> str:
    return ref_hotp(key, int(at // period), algorithm, digits)


def ref_steam(key: bytes, at: float) -> str:
    value = ref_truncated(key, int(at // 30))
    out = ""
    for _ in range(5):
        out += "23456789BCDFGHJKMNPQRTVWXY"[value % 26]
        value //= 26
    return out


# --- otpauth and Google Authenticator -------------------------------------------------------------


def otpauth(kind, label, secret, **params) -> str:
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in {"secret": secret, **params}.items())
    return f"otpauth://{kind}/{quote(label, safe=':@')}?{query}"


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def pb_field(number: int, value) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode("utf-8")
    return varint(number << 3 | 2) + varint(len(value)) + value


def migration_uri(accounts: list[dict], batch_size=1, batch_index=0, batch_id=-123456) -> str:
    """accounts: {secret: bytes, name, issuer, algorithm (0-4), digits (0-2), type (0-2), counter}"""
    payload = b""
    for acc in accounts:
        body = pb_field(1, acc["secret"]) + pb_field(2, acc.get("name", ""))
        if acc.get("issuer"):
            body += pb_field(3, acc["issuer"])
        body += pb_field(4, acc.get("algorithm", 1)) + pb_field(5, acc.get("digits", 1))
        body += pb_field(6, acc.get("type", 2))
        if "counter" in acc:
            body += pb_field(7, acc["counter"])
        body += pb_field(8, "unique-id-field-we-must-skip")
        payload += pb_field(1, body)
    payload += pb_field(2, 1) + pb_field(3, batch_size) + pb_field(4, batch_index)
    payload += pb_field(5, batch_id)
    data = base64.b64encode(payload).decode()
    return f"otpauth-migration://offline?data={quote(data, safe='')}"


def qr_png(*texts: str, scale: int = 4) -> bytes:
    """A PNG with one QR code per text, side by side (segno renders, PIL composes)."""
    import segno
    from PIL import Image

    tiles = []
    for t in texts:
        buf = io.BytesIO()
        segno.make(t, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
        tiles.append(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    width = sum(t.width for t in tiles) + 20 * len(tiles)
    height = max(t.height for t in tiles)
    canvas = Image.new("L", (width, height), 255)
    x = 0
    for tile in tiles:
        canvas.paste(tile, (x, 0))
        x += tile.width + 20
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


# --- Aegis ----------------------------------------------------------------------------------------


def aegis_entry(kind, issuer, name, secret, *, algo="SHA1", digits=6, period=30, counter=None,
                groups=(), note=""):
    info = {"secret": secret, "algo": algo, "digits": digits}
    if counter is None:
        info["period"] = period
    else:
        info["counter"] = counter
    return {"type": kind, "uuid": str(uuid.uuid4()), "name": name, "issuer": issuer, "note": note,
            "favorite": False, "icon": None, "info": info, "groups": list(groups)}


def aegis_file(entries, groups=(), password=None, n=2**10, r=8, p=1, db_version=3) -> bytes:
    db = {"version": db_version, "entries": entries,
          "groups": [{"uuid": u, "name": nm} for u, nm in groups]}
    if password is None:
        return json.dumps({"version": 1, "header": {"slots": None, "params": None}, "db": db}).encode()
    master = os.urandom(32)
    salt = os.urandom(32)
    kek = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2**28, dklen=32)
    knonce = os.urandom(12)
    wrapped = AESGCM(kek).encrypt(knonce, master, None)
    dnonce = os.urandom(12)
    sealed = AESGCM(master).encrypt(dnonce, json.dumps(db).encode(), None)
    slot = {"type": 1, "uuid": str(uuid.uuid4()), "key": wrapped[:-16].hex(),
            "key_params": {"nonce": knonce.hex(), "tag": wrapped[-16:].hex()},
            "n": n, "r": r, "p": p, "salt": salt.hex(), "repaired": True}
    biometric = {"type": 2, "uuid": str(uuid.uuid4()), "key": os.urandom(32).hex(),
                 "key_params": {"nonce": os.urandom(12).hex(), "tag": os.urandom(16).hex()}}
    header = {"slots": [biometric, slot],
              "params": {"nonce": dnonce.hex(), "tag": sealed[-16:].hex()}}
    return json.dumps({"version": 1, "header": header,
                       "db": base64.b64encode(sealed[:-16]).decode()}).encode()


# --- 2FAS -----------------------------------------------------------------------------------------


def twofas_service(name, secret, schema, *, account="", algorithm="SHA1", digits=6, period=30,
                   token_type="TOTP", counter=None, group_id=None):
    otp = {"account": account, "issuer": name, "source": "Manual", "label": f"{name}:{account}"}
    if schema >= 2:
        otp.update({"digits": digits, "period": period, "algorithm": algorithm})
    if schema >= 3:
        otp["tokenType"] = token_type
    if schema >= 4:
        otp["link"] = otpauth(token_type.lower(), f"{name}:{account}", secret)
        if counter is not None:
            otp["counter"] = counter
    service = {"name": name, "secret": secret, "updatedAt": 1700000000000, "otp": otp,
               "order": {"position": 0}, "icon": {"selected": "Label"}}
    if group_id:
        service["groupId"] = group_id
    return service


def twofas_file(services, schema, groups=(), password=None) -> bytes:
    doc = {"services": services, "groups": [{"id": i, "name": n, "isExpanded": True}
                                           for i, n in groups],
           "updatedAt": 1700000000000, "schemaVersion": schema, "appVersionCode": 5000000,
           "appOrigin": "android"}
    if password is not None:
        salt, iv = os.urandom(256), os.urandom(12)
        key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000, 32)
        ct = AESGCM(key).encrypt(iv, json.dumps(services).encode(), None)
        b = base64.b64encode
        doc["services"] = []
        doc["servicesEncrypted"] = f"{b(ct).decode()}:{b(salt).decode()}:{b(iv).decode()}"
        riv = os.urandom(12)
        ref = AESGCM(key).encrypt(riv, b"reference-check-string", None)
        doc["reference"] = f"{b(ref).decode()}:{b(salt).decode()}:{b(riv).decode()}"
    return json.dumps(doc).encode()


# --- Bitwarden ------------------------------------------------------------------------------------


def bw_login(name, *, username="", password="", uris=(), totp=None, notes=None, folder_id=None):
    return {"id": str(uuid.uuid4()), "organizationId": None, "folderId": folder_id, "type": 1,
            "reprompt": 0, "name": name, "notes": notes, "favorite": False,
            "login": {"uris": [{"match": None, "uri": u} for u in uris], "username": username,
                      "password": password, "totp": totp}, "collectionIds": None}


def bw_json(items, folders=()) -> dict:
    return {"encrypted": False, "folders": [{"id": i, "name": n} for i, n in folders],
            "items": items}


def _hkdf_expand(prk, info):
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def _enc_string(enc, mac, plain: bytes) -> str:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(enc), modes.CBC(iv)).encryptor()
    ct = encryptor.update(data) + encryptor.finalize()
    tag = hmac.new(mac, iv + ct, hashlib.sha256).digest()
    b = base64.b64encode
    return f"2.{b(iv).decode()}|{b(ct).decode()}|{b(tag).decode()}"


def bw_protected(inner: dict, password: str, *, kdf_type=0, iterations=1000, memory=16,
                 parallelism=1) -> bytes:
    salt = base64.b64encode(os.urandom(16)).decode()
    if kdf_type == 0:
        key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations, 32)
    else:
        key = Argon2id(salt=hashlib.sha256(salt.encode()).digest(), length=32,
                       iterations=iterations, lanes=parallelism,
                       memory_cost=memory * 1024).derive(password.encode())
    enc, mac = _hkdf_expand(key, b"enc"), _hkdf_expand(key, b"mac")
    doc = {"encrypted": True, "passwordProtected": True, "salt": salt, "kdfType": kdf_type,
           "kdfIterations": iterations, "kdfMemory": memory, "kdfParallelism": parallelism,
           "encKeyValidation_DO_NOT_EDIT": _enc_string(enc, mac, str(uuid.uuid4()).encode()),
           "data": _enc_string(enc, mac, json.dumps(inner).encode())}
    return json.dumps(doc).encode()


def write_csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


BW_CSV_HEADER = ["folder", "favorite", "type", "name", "notes", "fields", "reprompt",
                 "login_uri", "login_username", "login_password", "login_totp"]
KP_CSV_HEADER = ["Group", "Title", "Username", "Password", "URL", "Notes", "TOTP", "Icon",
                 "Last Modified", "Created"]


# --- KeePass XML ----------------------------------------------------------------------------------


def kp_entry(strings: dict, tags="") -> str:
    body = "".join(
        f"<String><Key>{escape(k)}</Key><Value>{escape(v)}</Value></String>"
        for k, v in strings.items()
    )
    history = f"<History><Entry><UUID>{_uuid()}</UUID>{body}</Entry></History>"
    return f"<Entry><UUID>{_uuid()}</UUID><Tags>{escape(tags)}</Tags>{body}{history}</Entry>"


def _uuid() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def kp_group(name, entries=(), groups=(), uuid_b64=None) -> str:
    return (f"<Group><UUID>{uuid_b64 or _uuid()}</UUID><Name>{escape(name)}</Name>"
            + "".join(entries) + "".join(groups) + "</Group>")


def kp_xml(root_group: str, recycle_uuid: str = "") -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<KeePassFile><Meta>'
            f"<Generator>KeePassXC</Generator><RecycleBinUUID>{recycle_uuid}</RecycleBinUUID>"
            f"</Meta><Root>{root_group}<DeletedObjects/></Root></KeePassFile>").encode()


# --- andOTP ---------------------------------------------------------------------------------------


def andotp_account(secret, issuer, label, *, kind="TOTP", algorithm="SHA1", digits=6, period=30,
                   counter=None, tags=()):
    acc = {"secret": secret, "issuer": issuer, "label": label, "digits": digits, "type": kind,
           "algorithm": algorithm, "thumbnail": "Default", "last_used": 0, "used_frequency": 0,
           "tags": list(tags)}
    if kind == "HOTP":
        acc["counter"] = counter or 0
    else:
        acc["period"] = period
    return acc


def andotp_new(accounts, password: str, iterations=1000) -> bytes:
    salt, iv = os.urandom(12), os.urandom(12)
    key = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, iterations, 32)
    return struct.pack(">I", iterations) + salt + iv + AESGCM(key).encrypt(
        iv, json.dumps(accounts).encode(), None)


def andotp_old(accounts, password: str, iv: bytes | None = None) -> bytes:
    iv = iv or os.urandom(12)
    key = hashlib.sha256(password.encode()).digest()
    return iv + AESGCM(key).encrypt(iv, json.dumps(accounts).encode(), None)
