"""Generators for the 1Password (1PUX, CSV), Proton Pass (zip/JSON, CSV), Proton Authenticator and
LastPass exports, written from the apps' documented formats (support.1password.com/1pux-format, the
field names the apps' own exporters write) — no fixture file copied from another project."""

from __future__ import annotations

import base64
import io
import json
import uuid
import zipfile

from importgen import write_csv

# --- 1Password ------------------------------------------------------------------------------------


def op_totp_field(value: str, title: str = "one-time password") -> dict:
    return {"title": title, "id": "TOTP_" + uuid.uuid4().hex[:26], "value": {"totp": value},
            "guarded": False, "multiline": False, "dontGenerate": False,
            "inputTraits": {"keyboard": "default", "correction": "default",
                            "capitalization": "default"}}


def op_item(title, *, username="", password="", urls=(), totps=(), category="001",
            state="active", tags=(), notes="", fav=False, section_credentials=False,
            extra_sections=()) -> dict:
    """A 1PUX item. `section_credentials`: username/password in a section (server items)."""
    login_fields = []
    sections = []
    if section_credentials:
        sections.append({"title": "", "name": "", "fields": [
            {"title": "username", "id": "username", "value": {"string": username}},
            {"title": "password", "id": "password", "value": {"concealed": password}},
        ]})
    else:
        if username:
            login_fields.append({"value": username, "id": "", "name": "username",
                                 "fieldType": "T", "designation": "username"})
        if password:
            login_fields.append({"value": password, "id": "", "name": "password",
                                 "fieldType": "P", "designation": "password"})
    if totps:
        sections.append({"title": "", "name": "add more",
                         "fields": [op_totp_field(t) for t in totps]})
    sections.extend(extra_sections)
    return {
        "uuid": uuid.uuid4().hex[:26], "favIndex": 1 if fav else 0, "createdAt": 1700000000,
        "updatedAt": 1700000100, "state": state, "categoryUuid": category,
        "details": {"loginFields": login_fields, "notesPlain": notes, "sections": sections,
                    "passwordHistory": []},
        "overview": {"subtitle": username, "title": title,
                     "url": urls[0] if urls else "",
                     "urls": [{"label": "website", "url": u} for u in urls],
                     "ps": 0, "pbe": 0.0, "pgrng": False, "tags": list(tags)},
    }


def op_vault(name, items, kind="U") -> dict:
    return {"attrs": {"uuid": uuid.uuid4().hex[:26], "desc": "", "avatar": "", "name": name,
                      "type": kind},
            "items": list(items)}


def op_export_data(vaults) -> dict:
    return {"accounts": [{"attrs": {"accountName": "MSP", "name": "Tech", "avatar": "",
                                    "email": "tech@msp.example", "uuid": "ACCOUNTUUID",
                                    "domain": "https://msp.1password.com/"},
                          "vaults": list(vaults)}]}


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def onepux(export_data: dict) -> bytes:
    attributes = {"version": 3, "description": "1Password Unencrypted Export",
                  "createdAt": 1700000200}
    return zipped({"export.attributes": json.dumps(attributes).encode(),
                   "export.data": json.dumps(export_data).encode(),
                   "files/": b""})


OP_CSV_HEADER = ["Title", "Url", "Username", "Password", "OTPAuth", "Favorite", "Archived",
                 "Tags", "Notes"]


def op_csv(rows, header=OP_CSV_HEADER) -> bytes:
    return write_csv(header, rows)


# --- Proton Pass ----------------------------------------------------------------------------------


def pp_item(name, *, kind="login", username="", email="", password="", urls=(), totp="",
            extra_totps=(), note="", state=1, pinned=False, share_id="share-1") -> dict:
    content: dict = {}
    if kind == "login":
        content = {"itemEmail": email, "password": password, "urls": list(urls),
                   "totpUri": totp, "passkeys": [], "itemUsername": username}
    elif kind == "creditCard":
        content = {"cardholderName": "X", "cardType": 0, "number": "4111111111111111",
                   "verificationNumber": "123", "expirationDate": "2030-01", "pin": ""}
    extra = [{"fieldName": f"2FA {i}", "type": "totp", "data": {"totpUri": t}}
             for i, t in enumerate(extra_totps, 1)]
    extra.append({"fieldName": "PIN", "type": "hidden", "data": {"content": "1234"}})
    return {"itemId": uuid.uuid4().hex, "shareId": share_id,
            "data": {"metadata": {"name": name, "note": note, "itemUuid": uuid.uuid4().hex[:8]},
                     "extraFields": extra, "type": kind, "content": content},
            "state": state, "aliasEmail": None, "contentFormatVersion": 6,
            "createTime": 1700000000, "modifyTime": 1700000100, "pinned": pinned}


def pp_export(vaults: dict[str, list[dict]]) -> dict:
    """vaults: {vault name: items}; share ids are made up per vault."""
    out = {}
    for n, (name, items) in enumerate(vaults.items(), 1):
        share = f"share-{n}"
        out[share] = {"name": name, "description": "", "display": {"color": 0, "icon": 0},
                      "items": [dict(i, shareId=share) for i in items]}
    return {"version": "1.30.0", "userId": "user-1", "encrypted": False, "vaults": out}


def pp_zip(doc: dict) -> bytes:
    # Proton Pass writes an uncompressed (stored) zip.
    return zipped({"Proton Pass/data.json": json.dumps(doc).encode()}, zipfile.ZIP_STORED)


PP_CSV_HEADER = ["type", "name", "url", "email", "username", "password", "note", "totp",
                 "createTime", "modifyTime", "vault"]


def pp_csv(rows, header=PP_CSV_HEADER) -> bytes:
    return write_csv(header, rows)


# --- Proton Authenticator -------------------------------------------------------------------------


def pa_entry(uri: str, kind="Totp", note=None, name=None) -> dict:
    content = {"uri": uri, "entry_type": kind}
    if name is not None:
        content["name"] = name
    return {"id": str(uuid.uuid4()), "content": content, "note": note}


def pa_steam_uri(secret: bytes) -> str:
    return "steam://" + base64.b64encode(secret).decode()


def pa_export(entries) -> bytes:
    return json.dumps({"version": 1, "entries": list(entries)}).encode()


# --- LastPass -------------------------------------------------------------------------------------

LP_CSV_HEADER = ["url", "username", "password", "totp", "extra", "name", "grouping", "fav"]


def lp_csv(rows) -> bytes:
    return write_csv(LP_CSV_HEADER, rows)
