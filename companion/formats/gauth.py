"""Google Authenticator's export: `otpauth-migration://offline?data=<base64 protobuf>`.

A MigrationPayload holds repeated OtpParameters (field 1) and batch fields 2–5; a long account list
spans several QR codes with one batch_id. A tiny protobuf wire-format reader is all this needs.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from companion.formats.records import (
    FormatError,
    Item,
    guarded,
    item_error,
    otp_from_fields,
    otp_item,
)

PREFIX = "otpauth-migration://"
MAX_URI_CHARS = 64 * 1024

ALGORITHMS = {0: "SHA1", 1: "SHA1", 2: "SHA256", 3: "SHA512", 4: "MD5"}
DIGITS = {0: 6, 1: 6, 2: 8}


class WireError(ValueError):
    pass


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise WireError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint too long")


def read_fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """Protobuf wire format → [(field number, int or bytes)]; fixed-width fields come back as ints."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise WireError("truncated field")
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > len(buf):
                raise WireError("truncated field")
            out.append((number, int.from_bytes(buf[pos : pos + size], "little")))
            pos += size
        else:
            raise WireError(f"unsupported wire type {wire}")
    return out


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    if value >= 1 << 63:
        value -= 1 << 64
    return value


def payload_bytes(uri: str) -> bytes:
    """The protobuf bytes inside one migration URI (tolerating '+' turned into ' ')."""
    uri = uri.strip()
    if len(uri) > MAX_URI_CHARS:
        raise FormatError("Google Authenticator export: URI is too long")
    if not uri.lower().startswith(PREFIX):
        raise FormatError("not an otpauth-migration:// URI")
    query = uri.split("?", 1)[1] if "?" in uri else ""
    data = None
    # Split the query ourselves: form decoding would turn a raw '+' of the base64 into a space.
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "data":
            data = value
    if not data:
        raise FormatError("Google Authenticator export: the URI has no data parameter")
    text = unquote(data).replace(" ", "+").replace("-", "+").replace("_", "/").strip()
    text = text.rstrip("=")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("Google Authenticator export: data is not valid base64") from None


def parse_payload(raw: bytes) -> tuple[list[list[tuple[int, int | bytes]]], dict[int, int]]:
    """(OtpParameters field lists, batch fields {3: size, 4: index, 5: id})."""
    try:
        fields = read_fields(raw)
        otps = [read_fields(v) for n, v in fields if n == 1 and isinstance(v, bytes)]
    except WireError as exc:
        raise FormatError(f"Google Authenticator export: damaged payload ({exc})") from None
    batch = {n: v for n, v in fields if n in (2, 3, 4, 5) and isinstance(v, int)}
    return otps, batch


def item_from_otp(number: int, fields: list[tuple[int, int | bytes]]) -> Item:
    values: dict[int, int | bytes] = {}
    for n, v in fields:
        values[n] = v  # last one wins, as in protobuf
    name = _string(values.get(2))
    issuer = _string(values.get(3))
    account = name
    if ":" in name:
        prefix, account = (s.strip() for s in name.split(":", 1))
        issuer = issuer or prefix
    label = f"{issuer}: {account}" if issuer and account else issuer or account
    secret = values.get(1)
    if not isinstance(secret, bytes) or not secret:
        raise item_error(number, label, "the account has no secret")
    algorithm = ALGORITHMS.get(_int(values.get(4)), "?")
    if algorithm == "MD5":
        return Item(number=number, label=label, refused="MD5 codes are not supported")
    if algorithm == "?":
        raise item_error(number, label, "unknown algorithm number")
    digits = DIGITS.get(_int(values.get(5)))
    if digits is None:
        raise item_error(number, label, "unknown digit count")
    kind = {1: "hotp", 0: "totp", 2: "totp"}.get(_int(values.get(6)))
    if kind is None:
        raise item_error(number, label, "unknown OTP type")
    params, warnings = otp_from_fields(
        number,
        label,
        kind=kind,
        secret=base64.b32encode(secret).decode("ascii"),
        algorithm=algorithm,
        digits=digits,
        period=30,
        counter=_int(values.get(7)),
        issuer=issuer,
        account=account,
    )
    return otp_item(number, params, warnings)


def _string(value: int | bytes | None) -> str:
    if not isinstance(value, bytes):
        return ""
    return value.decode("utf-8", errors="replace").strip()


def _int(value: int | bytes | None) -> int:
    return value if isinstance(value, int) else 0


def parse_migration_uris(uris: list[str], first_number: int = 1) -> tuple[list[Item], list[str]]:
    """Items from one or more migration URIs, and notes about missing batches."""
    items: list[Item] = []
    batches: dict[int, tuple[int, set[int]]] = {}
    number = first_number
    for uri in uris:
        otps, batch = parse_payload(payload_bytes(uri))
        for fields in otps:
            items.append(guarded(number, item_from_otp, number, fields))
            number += 1
        size = batch.get(3, 1) or 1
        if size > 1:
            seen = batches.setdefault(_signed32(batch.get(5, 0)), (size, set()))[1]
            seen.add(batch.get(4, 0))
    notes = []
    for _, (size, seen) in batches.items():
        if len(seen) < size:
            missing = ", ".join(str(i + 1) for i in range(size) if i not in seen)
            notes.append(
                f"Google Authenticator export has {size} QR codes; number {missing} "
                "was not included: scan it too to import all accounts"
            )
    return items, notes


# --- export: the migration QR codes Google Authenticator scans ("Transfer accounts") -----------
BATCH = 10  # accounts per QR code, as the app does
ALGORITHM_NUMBERS = {"SHA1": 1, "SHA256": 2, "SHA512": 3}
DIGIT_NUMBERS = {6: 1, 8: 2}


def _pb_varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _pb(number: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return _pb_varint(number << 3) + _pb_varint(value)
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return _pb_varint(number << 3 | 2) + _pb_varint(len(raw)) + raw


def unrepresentable(item: Item) -> str:
    """Why Google Authenticator cannot hold this OTP ("" when it can)."""
    p = item.otp
    if p is None:
        return "no OTP"
    if p.type == "steam":
        return "Steam Guard codes"
    if p.algorithm not in ALGORITHM_NUMBERS or p.digits not in DIGIT_NUMBERS:
        return f"{p.digits} digits / {p.algorithm}"
    if p.type == "totp" and p.period != 30:
        return f"a {p.period} s period"
    return ""


def migration_uris(items: list[Item]) -> list[str]:
    """`otpauth-migration://offline?data=…` URIs, ten accounts each, one batch id for all."""
    import os
    from urllib.parse import quote

    from companion.formats.records import export_params
    from companion.normalize import secret_bytes

    usable = [i for i in items if not unrepresentable(i)]
    batches = [usable[i : i + BATCH] for i in range(0, len(usable), BATCH)]
    batch_id = int.from_bytes(os.urandom(4), "big", signed=True)
    uris = []
    for index, batch in enumerate(batches):
        payload = b""
        for item in batch:
            p = export_params(item)
            name = f"{p.issuer}:{p.account}" if p.issuer and p.account else p.account or p.issuer
            otp = (
                _pb(1, secret_bytes(p.secret)) + _pb(2, name) + _pb(3, p.issuer)
                + _pb(4, ALGORITHM_NUMBERS[p.algorithm]) + _pb(5, DIGIT_NUMBERS[p.digits])
                + _pb(6, 1 if p.type == "hotp" else 2)
                + (_pb(7, p.counter) if p.type == "hotp" else b"")
            )
            payload += _pb(1, otp)
        payload += _pb(2, 1) + _pb(3, len(batches)) + _pb(4, index) + _pb(5, batch_id)
        data = base64.b64encode(payload).decode("ascii")
        uris.append(f"otpauth-migration://offline?data={quote(data, safe='')}")
    return uris


def dump(items: list[Item], password: str | None = None) -> bytes:
    return "".join(uri + "\n" for uri in migration_uris(list(items))).encode("ascii")


def parse(data: bytes, password=None):
    from companion.formats.otpauth_list import parse as parse_list

    return parse_list(data, password)
