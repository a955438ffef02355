"""FreeOTP+ JSON export (`freeotp-backup.json`) and FreeOTP 1.x's `tokens.xml` (Android shared
preferences), which hold the same token objects.

JSON: `{"tokens": [token…], "tokenOrder": ["issuer:label", …]}`. XML: `<map>` with one
`<string name="issuer:label">` per token holding the token's JSON, plus a `tokenOrder` string.
Token: `type` (TOTP/HOTP), `algo`, `digits`, `period`, `counter`, `secret` as a list of *signed*
bytes (Java's byte), `issuerExt` / `issuerInt` / `issuerAlt`, `label` / `labelAlt`. FreeOTP has no
Steam type: a TOTP token whose issuer is "Steam" shows Steam codes (as FreeOTP and Aegis do).
FreeOTP 2's own backup (Java serialization, encrypted) is not this format: detect.py names it.
"""

from __future__ import annotations

import base64
import json
import re

from companion.formats.records import (
    FormatError,
    Item,
    Parsed,
    check_count,
    guarded,
    item_error,
    load_json,
    otp_from_fields,
    otp_item,
    otp_label,
)

WHAT = "FreeOTP+ export"
WHAT_XML = "FreeOTP tokens.xml"
MAX_SECRET_BYTES = 1024
MAX_XML_SCAN = 64 * 1024
_FORBIDDEN_XML = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("tokens"), list) and "tokenOrder" in doc


def is_xml(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return (head.startswith(b"<?xml") or head.startswith(b"<map")) and b"<map" in head and (
        b'"tokenOrder"' in data[:MAX_XML_SCAN] or b"issuerExt" in data[:MAX_XML_SCAN]
    )



def secret_from_signed_bytes(value: object, number: int, label: str) -> str:
    """Java's signed bytes (-128…127; 128…255 tolerated) as base32."""
    if not isinstance(value, list) or not value or len(value) > MAX_SECRET_BYTES:
        raise item_error(number, label, "secret is missing or not a byte list")
    if not all(isinstance(b, int) and not isinstance(b, bool) and -128 <= b <= 255 for b in value):
        raise item_error(number, label, "secret holds a value that is not a byte")
    return base64.b32encode(bytes(b & 0xFF for b in value)).decode("ascii")


def _text(token: dict, key: str) -> str:
    value = token.get(key)
    return value.strip() if isinstance(value, str) else ""


def parse_token(number: int, token: object) -> Item:
    if not isinstance(token, dict):
        raise item_error(number, "", "token is not a JSON object")
    issuer = _text(token, "issuerAlt") or _text(token, "issuerExt") or _text(token, "issuerInt")
    account = _text(token, "labelAlt") or _text(token, "label")
    label = otp_label(issuer, account)
    kind = str(token.get("type") or "TOTP").upper()
    if kind not in ("TOTP", "HOTP"):
        return Item(number=number, label=label, refused="only TOTP and HOTP tokens are supported")
    steam = kind == "TOTP" and _text(token, "issuerExt") == "Steam"
    params, warnings = otp_from_fields(
        number,
        label,
        kind="steam" if steam else kind.lower(),
        secret=secret_from_signed_bytes(token.get("secret"), number, label),
        algorithm=token.get("algo") or "SHA1",
        digits=token.get("digits") or 6,
        period=token.get("period") or 30,
        counter=token.get("counter") or 0,
        issuer=issuer,
        account=account,
    )
    return otp_item(number, params, warnings)


def parse(data: bytes, password=None) -> Parsed:
    if is_xml(data):
        return parse_xml(data)
    doc = load_json(data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: expected an object with 'tokens' and 'tokenOrder'")
    assert isinstance(doc, dict)
    tokens = doc["tokens"]
    check_count(len(tokens), WHAT)
    parsed = Parsed("freeotp")
    for number, token in enumerate(tokens, start=1):
        parsed.items.append(guarded(number, parse_token, number, token))
    return parsed


def parse_xml(data: bytes) -> Parsed:
    import xml.etree.ElementTree as ET  # noqa: S405 - DTDs and entities are refused below

    if _FORBIDDEN_XML.search(data):
        raise FormatError(f"{WHAT_XML}: DOCTYPE/ENTITY declarations are not allowed")
    try:
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise FormatError(f"{WHAT_XML}: invalid XML ({exc})") from None
    except LookupError:
        raise FormatError(f"{WHAT_XML}: its XML declaration names an unknown encoding") from None
    if root.tag != "map":
        raise FormatError(f"{WHAT_XML}: not an Android preferences file")
    strings = [s for s in root.findall("string") if s.get("name") != "tokenOrder"]
    check_count(len(strings), WHAT_XML)
    parsed = Parsed("freeotp")
    for number, element in enumerate(strings, start=1):
        parsed.items.append(guarded(number, xml_token, number, element))
    return parsed


def xml_token(number: int, element) -> Item:
    try:
        token = json.loads(element.text or "")
    except (json.JSONDecodeError, RecursionError):
        raise item_error(number, element.get("name") or "", "the token is not valid JSON") from None
    return parse_token(number, token)
