"""KeePassXC / KeePass exports: CSV (TOTP column) and XML (entry strings), with groups.

OTP fields, in order of precedence: the legacy `TOTP Seed` + `TOTP Settings` pair; `otp` (an
otpauth URI or KeeOtp's `key=…&size=…&step=…` form); KeePass 2.47's `TimeOtp-*` / `HmacOtp-*`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import replace
from urllib.parse import parse_qsl

from companion.formats.csvfile import rows
from companion.formats.records import (
    FormatError,
    Item,
    Parsed,
    check_count,
    guarded,
    item_error,
    otp_from_fields,
    otp_from_uri,
)
from companion.otp import OtpParams

WHAT_CSV = "KeePassXC CSV export"
WHAT_XML = "KeePass XML export"
_FORBIDDEN_XML = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def is_xml(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") and b"<KeePassFile" in data[:4096] or head.startswith(
        b"<KeePassFile"
    )


def secret_from_bytes(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii")


def keepass_otp(
    fields: dict[str, str], number: int, label: str, title: str, username: str
) -> tuple[OtpParams | None, list[str]]:
    seed = fields.get("TOTP Seed", "").strip()
    if seed:
        settings = (fields.get("TOTP Settings") or "30;6").split(";")
        size = settings[1].strip() if len(settings) > 1 else "6"
        return otp_from_fields(
            number,
            label,
            kind="steam" if size.upper() == "S" else "totp",
            secret=seed,
            digits=6 if size.upper() == "S" else size,
            period=settings[0].strip() or 30,
            issuer=title,
            account=username,
        )
    otp = fields.get("otp", "").strip() or fields.get("TOTP", "").strip()
    if otp.lower().startswith("otpauth://"):
        params, warnings = otp_from_uri(otp, number, label)
        return replace(params, issuer=params.issuer or title, account=params.account or username), (
            warnings
        )
    if otp:
        query = {k.lower(): v for k, v in parse_qsl(otp, keep_blank_values=True)}
        if "key" not in query:
            raise item_error(number, label, "the otp field is neither an otpauth URI nor KeeOtp form")
        kind = query.get("type", "totp").lower()
        return otp_from_fields(
            number,
            label,
            kind="hotp" if kind == "hotp" else "totp",
            secret=query["key"],
            algorithm=query.get("otphashmode") or "SHA1",
            digits=query.get("size") or 6,
            period=query.get("step") or 30,
            counter=query.get("counter") or 0,
            issuer=title,
            account=username,
        )
    for prefix, kind in (("TimeOtp-", "totp"), ("HmacOtp-", "hotp")):
        secret = keepass_2_47_secret(fields, prefix, number, label)
        if secret is not None:
            return otp_from_fields(
                number,
                label,
                kind=kind,
                secret=secret,
                algorithm=fields.get(prefix + "Algorithm") or "SHA1",
                digits=fields.get(prefix + "Length") or 6,
                period=fields.get(prefix + "Period") or 30,
                counter=fields.get(prefix + "Counter") or 0,
                issuer=title,
                account=username,
            )
    return None, []


def keepass_2_47_secret(fields: dict[str, str], prefix: str, number: int, label: str) -> str | None:
    try:
        if fields.get(prefix + "Secret-Base32"):
            return fields[prefix + "Secret-Base32"]
        if fields.get(prefix + "Secret-Hex"):
            return secret_from_bytes(bytes.fromhex(fields[prefix + "Secret-Hex"].replace(" ", "")))
        if fields.get(prefix + "Secret-Base64"):
            raw = base64.b64decode(fields[prefix + "Secret-Base64"], validate=True)
            return secret_from_bytes(raw)
        if fields.get(prefix + "Secret"):
            return secret_from_bytes(fields[prefix + "Secret"].encode("utf-8"))
    except (ValueError, binascii.Error):
        raise item_error(number, label, f"{prefix}Secret is not valid hex/base64") from None
    return None


RECYCLE_BIN_NAMES = {"recycle bin", "papierkorb", "corbeille", "papelera", "cestino", "prullenbak"}
GROUP_JOIN = " - "  # customer names cannot hold '/'


def make_item(number: int, fields: dict[str, str], path: tuple[str, ...],
              tags: tuple[str, ...]) -> Item:
    """`path`: the groups below the database's root group, outermost first. The customer is the
    full path by default (two groups called "Email" under different customers never merge)."""
    title = fields.get("Title", "").strip()
    username = fields.get("UserName", "").strip()
    label = title or username or fields.get("URL", "")
    params, warnings = keepass_otp(fields, number, label, title, username)
    urls = tuple(u for u in (fields.get("URL", "").strip(),) if u)
    return Item(
        number=number,
        label=label,
        title=title or (params.issuer if params else "") or username or f"Entry {number}",
        customer=GROUP_JOIN.join(path),
        group_path=path,
        username=username,
        password=fields.get("Password", ""),
        urls=urls,
        notes=fields.get("Notes", ""),
        tags=tags,
        otp=params,
        warnings=tuple(warnings),
    )


def split_tags(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in re.split(r"[;,]", value or "") if t.strip())


def parse_csv(data: bytes, password=None) -> Parsed:
    parsed = Parsed("keepassxc-csv")
    for row in rows(data, WHAT_CSV):
        fields = {
            "Title": row.get("title", ""),
            "UserName": row.get("username", ""),
            "Password": row.get("password", ""),
            "URL": row.get("url", ""),
            "Notes": row.get("notes", ""),
            "otp": row.get("totp", ""),
        }
        # KeePassXC writes the full path, root group first: "Root/Customers/Acme".
        path = tuple(p.strip() for p in row.get("group", "").split("/")[1:] if p.strip())
        if path and path[0].casefold() in RECYCLE_BIN_NAMES:
            continue  # deleted entries, as the XML import skips them
        number = len(parsed.items) + 1
        parsed.items.append(guarded(number, make_item, number, fields, path, ()))
    return parsed


def parse_xml(data: bytes, password=None) -> Parsed:
    import xml.etree.ElementTree as ET  # noqa: S405 - DTDs and entities are refused below

    if _FORBIDDEN_XML.search(data):
        raise FormatError(f"{WHAT_XML}: DOCTYPE/ENTITY declarations are not allowed")
    try:
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise FormatError(f"{WHAT_XML}: invalid XML ({exc})") from None
    except LookupError:  # an XML declaration naming an encoding Python does not know
        raise FormatError(f"{WHAT_XML}: its XML declaration names an unknown encoding") from None
    if root.tag != "KeePassFile":
        raise FormatError(f"{WHAT_XML}: not a KeePass XML file")
    recycle_bin = (root.findtext("Meta/RecycleBinUUID") or "").strip()
    top = root.find("Root/Group")
    if top is None:
        raise FormatError(f"{WHAT_XML}: no root group")
    parsed = Parsed("keepass-xml")
    walk(top, (), recycle_bin, parsed, depth=0)
    return parsed


def walk(group, path: tuple[str, ...], recycle_bin: str, parsed: Parsed, depth: int) -> None:
    if depth > 64:
        raise FormatError(f"{WHAT_XML}: groups nested too deeply")
    for entry in group.findall("Entry"):
        number = len(parsed.items) + 1
        check_count(number, WHAT_XML)
        fields = {}
        for string in entry.findall("String"):
            key = string.findtext("Key") or ""
            fields[key] = string.findtext("Value") or ""
        tags = split_tags(entry.findtext("Tags"))
        parsed.items.append(guarded(number, make_item, number, fields, path, tags))
    for child in group.findall("Group"):
        if recycle_bin and (child.findtext("UUID") or "").strip() == recycle_bin:
            continue
        name = (child.findtext("Name") or "").strip()
        walk(child, (*path, name) if name else path, recycle_bin, parsed, depth + 1)
